"""The main job, embedded: seed a small Jinshan district once, then run both services on SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from uuid import UUID

from carecred.demo_training import seed_training
from carecred.services import SERVICES, open_application
import msgspec

from contracts.inspections import NewInspector
from contracts.keys import Role
from contracts.credentials import CertificateView, NewAssignment, NewCertificate, Suspension
from contracts.policy import PolicyDocument
from contracts.registry import NewNursery, NurseryDetails, NurseryStatusChange
from contracts.training import NewProvider, NewCourse
from shared.auth.keys import new_token
from shared.auth.roles import operator_actor
from shared.idnumber import make_valid
from services.credential.domain.policy import shanghai_v2_document
from shared.settings import Settings
from shared.district import today as district_today

DEMO_ACTOR = operator_actor("demo")
_TODAY = district_today()
NURSERIES = [
    NewNursery(name="金山区朱泾镇第一托育园", town="朱泾镇", ownership="public", inclusive=True,
               opened_on=_TODAY - dt.timedelta(days=3 * 365), capacity=60),
    NewNursery(name="枫泾古镇宝贝托育中心", town="枫泾镇", ownership="private", inclusive=True,
               opened_on=_TODAY - dt.timedelta(days=2 * 365), capacity=40),
    NewNursery(name="石化街道蓓蕾幼儿园", town="石化街道", ownership="public", inclusive=True, kind="kindergarten",
               opened_on=_TODAY - dt.timedelta(days=5 * 365), capacity=25),
    NewNursery(name="亭林镇小星星托育", town="亭林镇", ownership="private", inclusive=False,
               opened_on=_TODAY - dt.timedelta(days=400), capacity=30),
    NewNursery(name="山阳镇海湾幼儿园", town="山阳镇", ownership="public", inclusive=True, kind="kindergarten",
               opened_on=_TODAY - dt.timedelta(days=4 * 365), capacity=0),
]
"""The district's nurseries, with staff; their lives go on in ``LIFECYCLE`` (山阳's kindergarten opens 托班,
亭林's nursery is suspended for rectification with its staff still assigned)."""
WITHOUT_STAFF = [
    NewNursery(name="张堰镇社区托育点", town="张堰镇", ownership="public", inclusive=True, kind="community",
               opened_on=_TODAY - dt.timedelta(days=200), capacity=20),
    NewNursery(name="吕巷镇小苗托育园", town="吕巷镇", ownership="private", inclusive=False,
               opened_on=_TODAY - dt.timedelta(days=3 * 365), capacity=35),
]
"""A community point (社区托育点) and a nursery that closed two months ago (its staff had left)."""
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = ["芳", "丽", "敏", "静", "婷", "霞", "燕", "洁", "琳", "欣", "悦", "娟", "雪", "红", "梅", "萍"]


def demo_id_number(rng: random.Random) -> str:
    """A syntactically valid, fictitious Jinshan (310116) resident ID number."""
    birth = f"{rng.randint(1970, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return make_valid(f"310116{birth}{rng.randint(0, 999):03d}")


ROLE_CERTIFICATE = {"nursery_worker": "nursery_worker", "infant_caregiver": "infant_care", "teacher": "teacher_kindergarten",
                    "health_worker": "health_worker"}
LEVELS = {"nursery_worker": [5, 4, 4, 3], "infant_care": [4, 4, 3, 2]}
"""Levels the demo draws (五级..一级 as 5..1): 育婴员 at 四级 or higher, as policy v2 requires of the role."""
ISSUED_BY = {
    "nursery_worker": "上海市职业技能鉴定中心", "infant_care": "上海市职业技能鉴定中心",
    "teacher_kindergarten": "上海市金山区教育局", "health_worker": "上海市金山区妇幼保健所",
    "health": "上海市金山区妇幼保健所", "food_handler_health": "上海市金山区疾病预防控制中心",
    "background_check": "上海市公安局金山分局",
}
FEED_KEY_FILE = "feed.key"
HEALTH_CHECK_OVERDUE = (0, 2, 4)
"""The deliberate lapses: at these nurseries (by place in ``NURSERIES``) the second person's health
certificate (托幼机构工作人员健康合格证) is suspended for a missed re-check (健康检查逾期), so the HR
dashboard has someone to show first and those nurseries' 持证上岗率 falls short of 100%. Everyone
else is compliant for their role under policy v2."""
TEACHER_WITHOUT_INFANT_CARE = (4, 0)
"""(place, teacher) of the one public kindergarten teacher who holds no 育婴员证 yet: the district
is above the plan's 75% without being at 100%."""

SCOPE_NAMES = {"hr": "nursery", "provider": "provider", "inspector": "inspector: visits on the scan page"}


def seed(settings: Settings) -> list[tuple[str, str, str]] | None:
    """Seed the demo district unless already seeded; return (role, scope, token) of the new keys."""
    with open_application("credential", settings) as credential:
        if credential.list_keys():
            return None
        nurseries = seed_credential(credential, random.Random(2023))
        inspector = credential.inspectors.register(NewInspector(name="王督导", unit="金山区教育局督导室"), DEMO_ACTOR)
    with open_application("training", settings) as training, open_application("credential", settings) as credential:
        provider = training.catalogue.approve_provider(NewProvider(code="SOU", name="上海开放大学"), DEMO_ACTOR)
        for course in COURSES:
            training.catalogue.catalogue_course(UUID(provider.provider_id), course, DEMO_ACTOR)
        seed_training(credential, training, provider.provider_id, nurseries[0], DEMO_ACTOR)
    keys = [
        (Role.ADMIN, None), (Role.REGISTRAR, None), (Role.HR, nurseries[0]), (Role.PROVIDER, provider.provider_id),
        (Role.INSPECTOR, inspector.inspector_id), (Role.AUDITOR, None), (Role.SERVICE, None),
    ]
    issued = [(str(role), scope or "", new_token()) for role, scope in keys]
    for service in SERVICES:
        with open_application(service, settings) as app:
            for role, scope, token in issued:
                app.issue_key(role=Role(role), scope=scope or None, name=f"demo {role}", actor=DEMO_ACTOR, token=token)
    feed_key = Path(settings.data_dir) / FEED_KEY_FILE
    feed_key.write_text(issued[-1][2])
    feed_key.chmod(0o600)
    return issued[:-1]


def seed_credential(app, rng: random.Random) -> list[str]:
    """Nurseries with certified, checked, assigned staff under policy v2 (the plan's targets met: every
    worker compliant for the role, public kindergarten teachers with 育婴员证 above 75%), but for the
    lapses shown on purpose; a few certificates and checks falling due soon."""
    today = district_today()
    app.badges.keys.ensure(DEMO_ACTOR)
    app.policies.adopt_policy(
        msgspec.convert(msgspec.to_builtins(shanghai_v2_document()), type=PolicyDocument),
        "policy v2: levels, health and background checks, a cook (docs/policy-v2.md)", DEMO_ACTOR, effective_on=today,
    )
    nurseries = [app.registry.register_nursery(n, DEMO_ACTOR) for n in NURSERIES]
    serial = 0
    lapsed: list[str] = []
    checks = random.Random(2026)  # policy v2's extra draws, apart from ``rng`` so the v1 draws stay as they were

    def record(staff_id: str, cert_type: str, issued_on: dt.date, expires_on: dt.date | None = None,
               level: int | None = None) -> CertificateView:
        nonlocal serial
        serial += 1
        return app.certificates.issue_certificate(NewCertificate(
            cert_type=cert_type, number=f"JS{serial:04d}-{cert_type[:2].upper()}", issuing_body=ISSUED_BY[cert_type],
            issued_on=issued_on, expires_on=expires_on, level=level, holder_id=staff_id,
        ), role="registrar", visible_to=None, actor=DEMO_ACTOR)

    def hire(nursery_id: str, role: str, held: list[tuple[str, int]], *, overdue: bool, name: str, id_number: str) -> None:
        staff = app.registry.register_staff(name=name, id_number=id_number, registered_by=nursery_id, actor=DEMO_ACTOR)
        for cert_type, days in held:
            issued_on = today - dt.timedelta(days=365 - days if days < 365 else 100)
            if cert_type in ("health", "food_handler_health"):  # a yearly check: due ``days`` from today
                check = record(staff.staff_id, cert_type, today - dt.timedelta(days=365 - days))
                if overdue and cert_type == "health":
                    lapsed.append(check.certificate_id)
            elif cert_type in LEVELS:
                record(staff.staff_id, cert_type, issued_on, level=checks.choice(LEVELS[cert_type]))
            elif cert_type == "teacher_kindergarten":
                record(staff.staff_id, cert_type, today - dt.timedelta(days=days * 3))
            else:
                record(staff.staff_id, cert_type, issued_on, expires_on=today + dt.timedelta(days=days))
        record(staff.staff_id, "background_check", today - dt.timedelta(days=checks.randint(20, 330)))
        app.assignments.assign(NewAssignment(staff_id=staff.staff_id, role=role, start_on=today),
                               nursery_id=nursery_id, actor=DEMO_ACTOR)
        for certificate_id in lapsed:  # the re-check was missed: the registrar suspends the health certificate
            app.certificates.suspend_certificate(UUID(certificate_id), Suspension(reason="健康检查逾期"), DEMO_ACTOR)
        lapsed.clear()

    for place, nursery in enumerate(nurseries):
        roles = ["teacher", "teacher", "infant_caregiver"] if nursery.kind == "kindergarten" else \
            ["nursery_worker", "nursery_worker", "infant_caregiver", "health_worker"]
        teachers = 0
        for person, role in enumerate(roles + rng.sample(roles, 2)):
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
            id_number = demo_id_number(rng)
            held = [(ROLE_CERTIFICATE[role], rng.randint(200, 1500)), ("health", rng.choice([20, 45, 80, 200, 300, 330]))]
            if role == "teacher":
                if (place, teachers) != TEACHER_WITHOUT_INFANT_CARE:  # the plan: public kindergarten teachers hold 育婴员证
                    held.append(("infant_care", rng.randint(200, 1500)))
                teachers += 1
            hire(nursery.nursery_id, role, held, overdue=person == 1 and place in HEALTH_CHECK_OVERDUE,
                 name=name, id_number=id_number)
        cook = checks.choice(SURNAMES) + "".join(checks.sample(GIVEN, 2))  # 炊事员: food handler and childcare health
        hire(nursery.nursery_id, "cook", [("food_handler_health", checks.choice([30, 150, 300])),
                                          ("health", checks.choice([30, 150, 300]))],
             overdue=False, name=cook, id_number=demo_id_number(checks))
    seed_lifecycle(app, [n.nursery_id for n in nurseries])
    return [n.nursery_id for n in nurseries]


def seed_lifecycle(app, with_staff: list[str]) -> None:
    """The nurseries' lives: a kindergarten converts (opens 托班), a nursery becomes inclusive, one is suspended
    with its staff still assigned (flagged for HR and the registrar), a community point opens, one has closed."""
    today = district_today()
    life = app.nursery_lifecycle
    life.change_details(UUID(with_staff[4]), NurseryDetails(effective_on=today - dt.timedelta(days=90), capacity=20,
                                                            reason="开设托班"), DEMO_ACTOR)
    life.change_details(UUID(with_staff[3]), NurseryDetails(effective_on=today - dt.timedelta(days=60), inclusive=True,
                                                            reason="认定为普惠性托育机构"), DEMO_ACTOR)
    life.suspend(UUID(with_staff[3]), NurseryStatusChange(effective_on=today - dt.timedelta(days=3),
                                                          reason="消防整改"), DEMO_ACTOR)
    community, closing = (app.registry.register_nursery(n, DEMO_ACTOR).nursery_id for n in WITHOUT_STAFF)
    life.close(UUID(closing), NurseryStatusChange(effective_on=today - dt.timedelta(days=60), reason="停止办学"), DEMO_ACTOR)


COURSES = [
    *(NewCourse(code=f"SK-{i:02d}", title=f"婴幼儿照护综合技能 {i}", category="skills", topic=topic, class_hours=8,
                available_from=dt.date(2020, 1, 1))
      for i, topic in enumerate(["professional_skills", "safety", "mental_health"] * 3, start=1)),
    *(NewCourse(code=f"ET-{i:02d}", title=f"职业道德与规范 {i}", category="ethics", topic=topic, class_hours=8,
                available_from=dt.date(2020, 1, 1))
      for i, topic in enumerate(["professional_ethics", "professional_norms"] * 2 + ["professional_ethics"], start=1)),
]


def run_demo(settings: Settings, *, serve: bool = True) -> int:
    issued = seed(settings)
    data_dir = Path(settings.data_dir).resolve()
    print(f"carecred demo — data in {data_dir} (SQLite; stop and start again keeps it)\n")
    if issued:
        print("API keys for each role (shown once; only their hashes are stored):")
        for role, scope, token in issued:
            print(f"  {role:<10} {token}" + (f"   ({SCOPE_NAMES[role]} {scope})" if scope else ""))
        print()
    else:
        print("Demo data already seeded; make more keys with `carecred keys create --role ... --name ...`.\n")
    if not serve:
        return 0
    feed_key = (data_dir / FEED_KEY_FILE).read_text().strip()
    env = {**os.environ, "CARECRED_STORAGE": "sqlite", "CARECRED_DATA_DIR": str(data_dir), "CARECRED_FEED_KEY": feed_key,
           "CARECRED_LOG_LEVEL": settings.log_level}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for service in SERVICES:
            port = settings.port_of(service)
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "carecred.cli", "serve", service, "--host", settings.host, "--port", str(port)],
                env=env,
            ))
        for service in SERVICES:
            base = f"http://{settings.host}:{settings.port_of(service)}"
            _wait_ready(base)
            print(f"{service:<10} service: {base}   API docs: {base}/schema/docs   OpenAPI: {base}/schema/openapi.json")
        if issued:
            provider = next((token, scope) for role, scope, token in issued if role == "provider")
            post_demo_completions(f"http://{settings.host}:{settings.training_port}", *provider, _staff_ids(settings))
        pages = f"http://{settings.host}:{settings.credential_port}/app"
        print(f"\npages: {pages}/scan (inspector)   {pages}/hr (hr key)   {pages}/district (registrar key)")
        print("\nTry:  curl -H 'Authorization: Bearer <registrar key>' "
              f"http://{settings.host}:{settings.credential_port}/v1/nurseries")
        print("Press Ctrl-C to stop.")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (the command line turns it into the same)
        return 0
    finally:
        stop(processes)


def stop(processes: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """Stop the services gracefully, each once; a second Ctrl-C meanwhile changes nothing.

    Ctrl-C in a terminal reaches the services too (one process group) and they begin to stop
    by themselves; SIGTERM to the demo reaches only the demo. So each still running gets one
    SIGTERM: uvicorn stops gracefully on it (a second SIGINT would make it quit at once).
    """
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in processes:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"process {p.pid} did not stop within {timeout:.0f}s; killing it", file=sys.stderr)
                p.kill()
                p.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def post_demo_completions(base: str, token: str, provider_id: str, staff: list[str]) -> None:
    """A term's worth of Open University completions, posted as a provider would (once people are known)."""
    rng = random.Random(72)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deadline = time.monotonic() + 30
    while True:  # the training service learns the staff from the credential feed within a second or so
        with urllib.request.urlopen(urllib.request.Request(f"{base}/ready")) as response:
            follower = json.loads(response.read())["followers"][0]
        if follower["lag"] == 0 and follower["position"] > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    items, now = [], dt.datetime.now(dt.UTC).replace(microsecond=0)
    for n, staff_id in enumerate(staff):
        for course in rng.sample(COURSES, rng.randint(5, len(COURSES))):
            items.append({"event_id": f"SOU-DEMO-{n}-{course.code}", "staff_id": staff_id, "course_code": course.code,
                          "completed_at": (now - dt.timedelta(days=rng.randint(1, 60))).isoformat(),
                          "class_hours": course.class_hours})
    request = urllib.request.Request(f"{base}/v1/providers/{provider_id}/completions/bulk", method="POST",
                                     data=json.dumps({"items": items}).encode(), headers=headers)
    with urllib.request.urlopen(request) as response:
        results = json.loads(response.read())
    print(f"\nposted {len(items)} demo training completions for {len(staff)} people: "
          f"{results['created']} created, {results['rejected']} rejected")


def _staff_ids(settings: Settings) -> list[str]:
    with open_application("credential", settings) as app:
        return [s.staff_id for s in app.registry.staff_list(limit=1000)]


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
