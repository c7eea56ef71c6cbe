"""The training service as a real process for the upload tests, and a provider's files and command line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from carecred.services import open_application
from contracts.keys import Role
from shared.auth.keys import new_token
from shared.settings import Settings
from tests.e2e.processes import REPO, ServiceProcess, free_port
from tests.integration.training_world import SKILLS_COURSES, learn_people, staff_id

PEOPLE = 50
COMPLETED = "2025-06-30T14:00:00+08:00"


class TrainingService:
    """`carecred serve training` on the test's storage, knowing ``PEOPLE`` people, with admin and registrar keys."""

    def __init__(self, settings: Settings, log_dir: Path):
        self.admin, self.registrar = new_token(), new_token()
        app = open_application("training", settings)
        try:
            learn_people(app, PEOPLE)
            for role, token in ((Role.ADMIN, self.admin), (Role.REGISTRAR, self.registrar)):
                app.issue_key(role=role, scope=None, name=f"test {role}", actor={"role": "test"}, token=token)
        finally:
            app.close()
        env = {**os.environ, "CARECRED_DATA_DIR": settings.data_dir, "CARECRED_ID_HASH_KEY": settings.id_hash_key,
               "CARECRED_STORAGE": "postgres" if settings.uses_postgres else "sqlite"}
        if settings.uses_postgres:
            env.update(CARECRED_DATABASE_URL=settings.database_url, CARECRED_SCHEMA_PREFIX=settings.schema_prefix,
                       CARECRED_CHECKPOINT_KEY=settings.checkpoint_key)
        self.process = ServiceProcess("training", free_port(), env, log_dir)
        self.process.start()
        self.url = f"http://127.0.0.1:{self.process.port}"

    def call(self, method: str, path: str, token: str, body: object = None) -> object:
        status, answer = self.process.request(method, path, body, token=token)
        assert status < 300, (status, answer)
        return answer

    def new_provider(self) -> "Provider":
        """A newly approved provider with nine 8-hour skills courses, and its own key."""
        code = f"P{uuid.uuid4().hex[:8].upper()}"
        provider = self.call("POST", "/v1/providers/", self.registrar, {"code": code, "name": f"培训机构 {code}"})
        provider_id = provider["provider_id"]  # type: ignore[index]
        for course in SKILLS_COURSES:
            self.call("POST", f"/v1/providers/{provider_id}/courses/", self.registrar, {
                "code": course, "title": f"综合技能 {course}", "category": "skills", "topic": "professional_skills",
                "class_hours": 8, "available_from": "2024-01-01"})
        issued = self.call("POST", "/v1/keys/", self.admin, {"role": "provider", "scope": provider_id, "name": code})
        return Provider(self, provider_id, issued["token"])  # type: ignore[index]


@dataclass
class Provider:
    service: TrainingService
    provider_id: str
    token: str

    def arguments(self, file: Path, *args: str, url: str | None = None) -> list[str]:
        """`completions upload FILE ...` as this provider, against the service (or ``url``)."""
        return ["completions", "upload", str(file), "--provider", self.provider_id, "--url", url or self.service.url,
                *args]

    def start_upload(self, file: Path, *args: str, url: str | None = None) -> subprocess.Popen[str]:
        """Start `carecred completions upload FILE` as a process of its own (the key from CARECRED_API_KEY)."""
        return subprocess.Popen(
            [sys.executable, "-m", "carecred.cli", *self.arguments(file, *args, url=url)],
            env={**os.environ, "CARECRED_API_KEY": self.token}, cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ledger(self) -> list[dict]:
        """Every completion the ledger holds for this provider, in recorded order."""
        found: list[dict] = []
        while True:
            page = self.service.call(
                "GET", f"/v1/providers/{self.provider_id}/completions/?after={found[-1]['position'] if found else 0}"
                       "&limit=1000", self.token)
            if not page["items"]:  # type: ignore[index]
                return found
            found += page["items"]  # type: ignore[index]


def completion_row(i: int) -> dict[str, object]:
    return {"event_id": f"TERM-{i:05d}", "staff_id": staff_id(i % PEOPLE), "course_code": SKILLS_COURSES[i % 9],
            "completed_at": COMPLETED, "class_hours": 8}


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    columns = ["event_id", "staff_id", "id_number", "course_code", "completed_at", "class_hours"]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def results_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
