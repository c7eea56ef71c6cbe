"""The demo as a new user runs it: both services start, each request is logged, and Ctrl-C or
``kill -TERM`` stops everything cleanly (exit 0, no traceback, nothing left running)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.processes import REPO, free_port, wait_until

pytestmark = pytest.mark.slow


class Demo:
    """``carecred demo`` in a session of its own, like a terminal's foreground job."""

    def __init__(self, tmp_path: Path):
        self.ports = {"credential": free_port(), "training": free_port()}
        self.out, self.err = tmp_path / "demo.out", tmp_path / "demo.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARECRED_")}
        env.update(CARECRED_DATA_DIR=str(tmp_path / "data"), CARECRED_CREDENTIAL_PORT=str(self.ports["credential"]),
                   CARECRED_TRAINING_PORT=str(self.ports["training"]))
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "carecred.cli", "demo"], cwd=REPO, env=env,
                                            stdout=out, stderr=err, start_new_session=True)

    def wait_started(self) -> None:
        wait_until(lambda: "Press Ctrl-C" in self.out.read_text() or self.process.poll() is not None,
                   timeout=120, what="the demo to start")
        assert self.process.poll() is None, self.err.read_text()[-3000:]

    def services(self) -> list[int]:
        """The pids of the demo's child processes (the two services)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def key(self, role: str) -> str:
        return re.search(rf"^  {role}\s+(\S+)", self.out.read_text(), re.MULTILINE).group(1)

    def get(self, service: str, path: str, token: str) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.ports[service]}{path}",
                                         headers={"Authorization": f"Bearer {token}", "X-Request-ID": "first-hour"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def logged(self, request_id: str) -> list[dict]:
        """The JSON log lines the services wrote to stderr for one request."""
        lines = [json.loads(line) for line in self.err.read_text().splitlines() if line.startswith("{")]
        return [entry for entry in lines if entry.get("request_id") == request_id]

    def stop_like(self, how: str) -> int:
        if how == "ctrl-c":  # the terminal sends SIGINT to the whole foreground process group
            os.killpg(self.process.pid, signal.SIGINT)
        else:  # kill -TERM <pid of the demo>
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, waiting for its parent to collect it


@pytest.mark.parametrize("how", ["ctrl-c", "kill -TERM"])
def test_the_demo_logs_each_request_and_stops_cleanly(tmp_path, how):
    demo = Demo(tmp_path)
    try:
        demo.wait_started()
        services = demo.services()
        assert len(services) == 2
        assert demo.get("credential", "/v1/nurseries", demo.key("registrar")) == 200

        mine = wait_until(lambda: demo.logged("first-hour"), timeout=10, what="the request's log line")
        assert len(mine) == 1, mine
        assert mine[0]["level"] == "info" and mine[0]["logger"] == "carecred.access"
        assert (mine[0]["method"], mine[0]["path"], mine[0]["status"], mine[0]["role"]) == ("GET", "/v1/nurseries", 200,
                                                                                              "registrar")

        assert demo.stop_like(how) == 0
        assert all(gone(pid) for pid in services), "a service outlived the demo"
        assert not any(answers(port) for port in demo.ports.values())
        stderr = demo.err.read_text()
        assert "Traceback" not in stderr, stderr[-3000:]
        assert all(line.startswith("{") for line in stderr.splitlines()), stderr[-3000:]  # JSON log lines only
    finally:
        demo.kill()
