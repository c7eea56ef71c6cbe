"""Run every benchmark one after another, then write bench/results/SUMMARY.md (all goals in one table).

    .venv/bin/python -m bench.run_all                 (short run, PostgreSQL and SQLite)
    .venv/bin/python -m bench.run_all --scale 0.1     (a tenth of the data: a quick look)
    .venv/bin/python -m bench.run_all --summary-only  (rewrite SUMMARY.md from the results files)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time

from bench.common import REPO, RESULTS, git_commit

FEATURES = "f6af591"
"""The last of the feature merges (inspections, policy v2, district targets, training rules, xAPI): a run on a
commit that does not contain it measured the code before those features, and SUMMARY says so on its line."""

BENCHMARKS = ["completions_http", "completions_bulk", "badges", "replay", "compliance", "memory"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, default=BENCHMARKS)
    parser.add_argument("--summary-only", action="store_true", help="run nothing; write SUMMARY.md from results/")
    args = parser.parse_args()
    if args.summary_only:
        summary({}, [], args)
        return
    took: dict[str, float] = {}
    failed: list[str] = []
    for name in args.only:
        print(f"\n===== {name} =====", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--storage", args.storage,
                               "--scale", str(args.scale), "--seconds", str(args.seconds)], cwd=REPO)
        took[name] = round(time.perf_counter() - started, 1)
        if done.returncode != 0:
            failed.append(name)
    summary(took, failed, args)
    sys.exit(1 if failed else 0)


def contains(commit: str, ancestor: str) -> bool:
    """Whether ``commit`` has ``ancestor`` in its history (False when either is unknown to git)."""
    done = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, commit], cwd=REPO, capture_output=True)
    return done.returncode == 0


def summary(took: dict[str, float], failed: list[str], args: argparse.Namespace) -> None:
    lines = [
        "# Benchmark summary", "",
        f"Written {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on commit {git_commit()}. "
        "Each line comes from its benchmark's file; the run column gives when, on which commit and on which "
        "processor it ran, and the file's header the machine's size, load average, versions and options. "
        "In the HTTP rows, service/peer is the service's figure over the textbook peer's (bench/peer.py: the same "
        "libraries, none of the service's checks) measured in the same run.",
        "", "| benchmark | run | goal | target | measured | met |", "|---|---|---|---|---|---|",
    ]
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        body = json.loads(path.read_text())
        cpu = body['machine'].get('cpu_model', '?').replace('(R)', '').replace(' Processor', '')
        run = f"{body['started'][:16].replace('T', ' ')}, {body['machine'].get('commit', '?')}, {cpu}"
        load = (body['machine'].get('loadavg_at_start') or [0])[0]
        if load > (body['machine'].get('cpus') or 1):  # other work shared the cores: rates are depressed
            run += f", **loaded** (load {load:.1f})"
        if not contains(body['machine'].get('commit', ''), FEATURES):
            run += f", **before the features** (commit without {FEATURES})"
        for goal in body["goals"]:
            lines.append(f"| [{name}]({name}.md) | {run} | {goal['what']} | {goal['target']} | {goal['measured']} | "
                         f"{'yes' if goal['met'] else '**no**'} |")
    if took:
        lines += ["", "Seconds per benchmark in this run: " + ", ".join(f"{k} {v}" for k, v in took.items()) + "."]
    if failed:
        lines.append(f"Failed: {', '.join(failed)} (see the console output).")
    lines.append("")
    lines.append("Each benchmark's own file has its tables (by log size, 10^4 to 10^6 events where the log matters), "
                 "the explanation of every goal not met, and notes; FINDINGS.md is the written reading of these runs. "
                 "The HTTP benchmarks' files end with their path's CPU by phase (bench/profile_paths.py), and "
                 "profile.md holds all three paths from one run. A run marked loaded shared the cores with other "
                 "work (load average above the core count at its start): compare its ratios and CPU per request, "
                 "not its rates. A run marked before the features measured a commit that predates the merges of "
                 f"inspections, policy v2, district targets, training rules and xAPI ({FEATURES}); its figures are "
                 "of that commit, not of the code as it now stands.")
    (RESULTS / "SUMMARY.md").write_text("\n".join(lines) + "\n")
    print(f"\nwrote {RESULTS / 'SUMMARY.md'}")


if __name__ == "__main__":
    main()
