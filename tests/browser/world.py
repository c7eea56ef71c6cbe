"""A small district for the browser tests: two nurseries, people with badges, keys for each page."""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from contracts.badges import BadgeCertificate, BadgeHolder
from contracts.keys import Role
from services.credential.application import Credentials
from shared.auth.keys import new_token
from shared.idnumber import make_valid
from tests.e2e.district_setup import ok
from tests.e2e.processes import ServiceProcess, wait_until
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery
from shared.district import today as district_today

TODAY = district_today()
LI_NA_ID = make_valid("31011619900307123")
WANG_FANG_ID = make_valid("31011619920615345")


@dataclass
class PageWorld:
    """What the tests need to know about the seeded district."""

    nursery_id: str = ""
    kindergarten_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    qr: dict[str, str] = field(default_factory=dict)
    png: dict[str, bytes] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)


def _person(app: Credentials, name: str, first17: str, nursery_id: str) -> tuple[str, str]:
    number = make_valid(first17)
    return app.registry.register_staff(name=name, id_number=number, registered_by=nursery_id, actor=REGISTRAR).staff_id, number


def seed(app: Credentials) -> PageWorld:
    """Li Na (valid badge), Wang Fang (health certificate lapsed), Zhang Wei (badge revoked), two teachers."""
    w = PageWorld()
    w.nursery_id = nursery(app, "朱泾镇阳光托育园")
    w.kindergarten_id = nursery(app, "金山区第一幼儿园", town="石化街道", kind="kindergarten")
    long_ago, year_ago = TODAY - dt.timedelta(days=700), TODAY - dt.timedelta(days=365)
    badges = app.badges
    badges.keys.ensure(REGISTRAR)

    def caregiver(name: str, first17: str, health_expires: dt.date, infant_expires: dt.date) -> tuple[str, str, list]:
        sid, number = _person(app, name, first17, w.nursery_id)
        certs = []
        for cert_type, expires in (("infant_care", infant_expires), ("health", health_expires)):
            cid = certificate(app, sid, cert_type, long_ago, expires)
            certs.append(BadgeCertificate(type=cert_type, number=app.certificates.certificate(cid).number, expires_on=expires))
        assign(app, sid, w.nursery_id, "infant_caregiver", year_ago)
        w.staff[name] = sid
        return sid, number, certs

    def badge(key: str, name: str, sid: str, number: str, certs: list) -> str:
        staff = app.registry.staff(sid)
        holder = BadgeHolder(staff_id=sid, name=name, nursery_id=w.nursery_id,
                             nursery_name="朱泾镇阳光托育园", roles=["infant_caregiver"], certificates=certs)
        issued = badges.issuer.issue(holder, actor=REGISTRAR, id_number=number)
        w.qr[key] = issued.qr_text
        w.png[key] = base64.b64decode(issued.png_base64)
        return issued.badge_id

    sid, number, certs = caregiver("李娜", "31011619900307123", TODAY + dt.timedelta(days=200), TODAY + dt.timedelta(days=900))
    badge("valid", "李娜", sid, number, certs)
    sid, number, certs = caregiver("张伟", "31011619850101234", TODAY + dt.timedelta(days=45), TODAY + dt.timedelta(days=900))
    revoked = badge("revoked", "张伟", sid, number, certs)
    badges.statuses.change_badge_status(revoked, "revoked", reason="certificate obtained by fraud", actor=REGISTRAR)
    caregiver("王芳", "31011619920615345", TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=900))

    for name, first17, infant in (("陈老师", "31011619800202456", True), ("刘老师", "31011619810303567", False)):
        sid, _ = _person(app, name, first17, w.kindergarten_id)
        certificate(app, sid, "teacher", long_ago, TODAY + dt.timedelta(days=2000))
        certificate(app, sid, "health", long_ago, TODAY + dt.timedelta(days=80))
        if infant:
            certificate(app, sid, "infant_care", long_ago, TODAY + dt.timedelta(days=900))
        assign(app, sid, w.kindergarten_id, "teacher", year_ago)

    for role, scope in (("inspector", None), ("hr", w.nursery_id), ("registrar", None), ("auditor", None), ("admin", None)):
        token = new_token()
        app.issue_key(role=Role(role), scope=scope, name=f"{role} for the pages", actor={"role": "test"}, token=token)
        w.tokens[role] = token
    return w


def seed_training(credential: ServiceProcess, training: ServiceProcess, w: PageWorld) -> None:
    """Li Na has done her 72 + 40 class hours this year; Zhang Wei 24 + 8; Wang Fang none."""
    registrar = w.tokens["registrar"]
    provider_id = ok(training.request("POST", "/v1/providers", {"code": "SOU", "name": "上海开放大学"}, registrar))["provider_id"]
    courses = {"skills": [], "ethics": []}
    for category, topic, count in (("skills", "professional_skills", 9), ("ethics", "professional_ethics", 5)):
        for c in range(count):
            code = f"{category[:2].upper()}-{c:02d}"
            ok(training.request("POST", f"/v1/providers/{provider_id}/courses", {
                "code": code, "title": f"{category} {c}", "category": category, "topic": topic,
                "class_hours": 8, "available_from": "2020-01-01"}, registrar))
            courses[category].append(code)
    provider = ok(training.request("POST", "/v1/keys", {"role": "provider", "scope": provider_id, "name": "SOU"},
                                   w.tokens["admin"]))["token"]
    people = {"李娜": (9, 5), "张伟": (3, 1)}
    for name in people:
        sid = w.staff[name]
        wait_until(lambda: training.request("GET", f"/v1/people/{sid}/training/{TODAY.year}", token=registrar)[0] == 200,
                   what=f"training to learn {name}")
    n = 0
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    for name, (skills, ethics) in people.items():
        for code in courses["skills"][:skills] + courses["ethics"][:ethics]:
            n += 1
            ok(training.request("POST", f"/v1/providers/{provider_id}/completions", {
                "event_id": f"SOU-{n}", "staff_id": w.staff[name], "course_code": code, "completed_at": now,
                "class_hours": 8}, provider), 201)

    def hours() -> dict[str, float]:
        _, roster = credential.request("GET", f"/v1/nurseries/{w.nursery_id}/roster", token=w.tokens["hr"])
        return {e["name"]: (e.get("training") or {}).get("skills_hours", 0.0) for e in roster["entries"]}

    wait_until(lambda: hours().get("李娜") == 72.0 and hours().get("张伟") == 24.0, what="the roster to show the hours")


def camera_video(png: bytes, path: Path, frames: int = 10) -> Path:
    """A Y4M clip (what Chromium's fake camera plays) of the QR code on a white 640x480 frame."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    side = 440
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr.resize((side, side), Image.NEAREST), ((640 - side) // 2, (480 - side) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    chroma = [c.resize((320, 240), Image.BILINEAR).tobytes() for c in (cb, cr)]
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + y.tobytes() + chroma[0] + chroma[1])
    return path
