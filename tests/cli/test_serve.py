"""Both services start from their app factories: `uvicorn --factory` and `carecred serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout}s")


@pytest.mark.parametrize("service", ["credential", "training"])
@pytest.mark.parametrize("how", ["uvicorn", "carecred"])
def test_service_starts_on_embedded_sqlite_answers_ready_and_logs_each_request(service, how, tmp_path):
    port = free_port()
    env = {**os.environ, "CARECRED_DATA_DIR": str(tmp_path), "CARECRED_STORAGE": "sqlite"}
    if how == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", "--factory", f"services.{service}.app:create_app", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "carecred.cli", "serve", service, "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ready = wait_for(f"http://127.0.0.1:{port}/ready", process)
        assert (ready["status"], ready["service"]) == ("ready", service)
        assert (tmp_path / f"{service}.sqlite").exists()
    finally:
        process.terminate()
        code = process.wait(timeout=10)
    output = process.stdout.read().decode()
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(entry["logger"] == "carecred.access" and entry["path"] == "/ready" for entry in logged), output
    if how == "carecred":  # a stop asked for (docker stop, kill) is a clean stop
        assert code == 0 and "Traceback" not in output, output


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_carecred_serve_stops_on_a_signal_with_exit_0_and_no_traceback(stop, tmp_path):
    port = free_port()
    env = {**os.environ, "CARECRED_DATA_DIR": str(tmp_path), "CARECRED_STORAGE": "sqlite"}
    process = subprocess.Popen([sys.executable, "-m", "carecred.cli", "serve", "training", "--port", str(port)],
                               env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/ready", process)
    finally:
        process.send_signal(stop)
        code = process.wait(timeout=20)
    output = process.stdout.read().decode()
    assert code == 0 and "Traceback" not in output, output
