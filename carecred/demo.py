"""The main job, embedded: seed a small Jinshan district once, then run both services on SQLite."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from carecred.services import SERVICES, open_application
from contracts.keys import Role
from contracts.registry import NewNursery
from shared.auth.keys import new_token
from shared.auth.roles import operator_actor
from shared.idnumber import make_valid
from shared.settings import Settings

DEMO_ACTOR = operator_actor("demo")
NURSERIES = [
    NewNursery(name="金山区朱泾镇第一托育园", town="朱泾镇", ownership="public", inclusive=True),
    NewNursery(name="枫泾古镇宝贝托育中心", town="枫泾镇", ownership="private", inclusive=True),
    NewNursery(name="石化街道蓓蕾幼儿园", town="石化街道", ownership="public", inclusive=True, kind="kindergarten"),
    NewNursery(name="亭林镇小星星托育", town="亭林镇", ownership="private", inclusive=False),
    NewNursery(name="山阳镇海湾幼儿园", town="山阳镇", ownership="public", inclusive=True, kind="kindergarten"),
]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = ["芳", "丽", "敏", "静", "婷", "霞", "燕", "洁", "琳", "欣", "悦", "娟", "雪", "红", "梅", "萍"]


def demo_id_number(rng: random.Random) -> str:
    """A syntactically valid, fictitious Jinshan (310116) resident ID number."""
    birth = f"{rng.randint(1970, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return make_valid(f"310116{birth}{rng.randint(0, 999):03d}")


def seed(settings: Settings) -> list[tuple[str, str, str]] | None:
    """Seed the demo district unless already seeded; return (role, scope, token) of the new keys."""
    credential = open_application("credential", settings)
    try:
        if credential.list_keys():
            return None
        rng = random.Random(2023)
        nurseries = [credential.register_nursery(n, DEMO_ACTOR) for n in NURSERIES]
        for nursery in nurseries:
            for _ in range(rng.randint(4, 7)):
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
                credential.register_staff(
                    name=name, id_number=demo_id_number(rng), registered_by=nursery.nursery_id, actor=DEMO_ACTOR
                )
        keys = [
            (Role.ADMIN, None), (Role.REGISTRAR, None), (Role.HR, nurseries[0].nursery_id),
            (Role.INSPECTOR, None), (Role.AUDITOR, None),
        ]
        issued = [(str(role), scope or "", new_token()) for role, scope in keys]
    finally:
        credential.close()
    for service in SERVICES:
        app = open_application(service, settings)
        try:
            for role, scope, token in issued:
                app.issue_key(role=Role(role), scope=scope or None, name=f"demo {role}", actor=DEMO_ACTOR, token=token)
        finally:
            app.close()
    return issued


def run_demo(settings: Settings, *, serve: bool = True) -> int:
    issued = seed(settings)
    data_dir = Path(settings.data_dir).resolve()
    print(f"carecred demo — data in {data_dir} (SQLite; stop and start again keeps it)\n")
    if issued:
        print("API keys for each role (shown once; only their hashes are stored):")
        for role, scope, token in issued:
            print(f"  {role:<10} {token}" + (f"   (nursery {scope})" if scope else ""))
        print()
    else:
        print("Demo data already seeded; make more keys with `carecred keys create --role ... --name ...`.\n")
    if not serve:
        return 0
    env = {**os.environ, "CARECRED_STORAGE": "sqlite", "CARECRED_DATA_DIR": str(data_dir)}
    processes = []
    for service in SERVICES:
        port = settings.port_of(service)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "carecred.cli", "serve", service, "--host", settings.host, "--port", str(port)],
            env=env,
        ))
    try:
        for service in SERVICES:
            base = f"http://{settings.host}:{settings.port_of(service)}"
            _wait_ready(base)
            print(f"{service:<10} service: {base}   API docs: {base}/schema/docs   OpenAPI: {base}/schema/openapi.json")
        print("\nTry:  curl -H 'Authorization: Bearer <registrar key>' "
              f"http://{settings.host}:{settings.credential_port}/v1/nurseries")
        print("Press Ctrl-C to stop.")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in processes:
            p.send_signal(signal.SIGINT)
        for p in processes:
            p.wait(timeout=10)


def _wait_ready(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{base} did not become ready within {timeout:.0f}s")
