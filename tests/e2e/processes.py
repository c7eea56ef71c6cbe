"""Both services as real processes, for end-to-end tests: start, kill, restart, on either storage."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from contracts.keys import Role
from shared.auth.keys import new_token
from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class District:
    """Both services of one test district: the same storage settings, feed keys for each other."""

    def __init__(self, settings: Settings, log_dir: Path):
        self.settings = settings
        self.log_dir = log_dir
        self.ports = {"credential": free_port(), "training": free_port()}
        self.feed_token = new_token()
        self.processes: dict[str, ServiceProcess] = {}

    def env(self) -> dict[str, str]:
        s = self.settings
        env = {
            **os.environ,
            "CARECRED_DATA_DIR": s.data_dir,
            "CARECRED_STORAGE": "postgres" if s.uses_postgres else "sqlite",
            "CARECRED_ID_HASH_KEY": s.id_hash_key,
            "CARECRED_CREDENTIAL_PORT": str(self.ports["credential"]),
            "CARECRED_TRAINING_PORT": str(self.ports["training"]),
            "CARECRED_FEED_KEY": self.feed_token,
            "CARECRED_FOLLOW_INTERVAL": "0.2",
            "CARECRED_AUTH_FAILURES_PER_MINUTE": "100000",
        }
        if s.uses_postgres:
            env.update(CARECRED_DATABASE_URL=s.database_url, CARECRED_SCHEMA_PREFIX=s.schema_prefix,
                       CARECRED_CHECKPOINT_KEY=s.checkpoint_key)
        return env

    def issue_service_keys(self, open_application) -> None:
        """The key each service uses to read the other's feed (one token, known to both)."""
        for service in self.ports:
            app = open_application(service, self.settings)
            try:
                app.issue_key(role=Role.SERVICE, scope=None, name=f"feed reader", actor={"role": "test"},
                              token=self.feed_token)
            finally:
                app.close()

    def start(self, service: str) -> "ServiceProcess":
        process = ServiceProcess(service, self.ports[service], self.env(), self.log_dir)
        process.start()
        self.processes[service] = process
        return process

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.stop()


class ServiceProcess:
    """One service running as `carecred serve <service>`."""

    def __init__(self, service: str, port: int, env: dict[str, str], log_dir: Path):
        self.service = service
        self.port = port
        self.env = env
        self.log_path = log_dir / f"{service}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "carecred.cli", "serve", self.service, "--port", str(self.port)],
            env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited: {self.log_path.read_text()[-3000:]}")
            try:
                self.get("/ready")
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"{self.service} not ready in {timeout}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no goodbye — as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str, token: str | None = None) -> Any:
        status, body = self.request("GET", path, token=token)
        if status >= 400:
            raise urllib.error.HTTPError(path, status, str(body), None, None)  # type: ignore[arg-type]
        return body


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
