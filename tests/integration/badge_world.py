"""A small world for badge scenarios: a nursery, a registered caregiver, keys, and her certificates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from contracts.badges import BadgeCertificate, BadgeHolder
from contracts.registry import NewNursery
from services.credential.application import Credentials
from services.credential.application.badges import Badges
from shared.idnumber import make_valid
from shared.district import today as district_today

ACTOR = {"key_id": "k", "role": "registrar", "scope": None}
LI_NA = make_valid("31011619900307123")


@dataclass
class World:
    app: Credentials
    badges: Badges
    nursery_id: str
    staff_id: str
    id_hash: str

    def holder(self, *certificates: BadgeCertificate) -> BadgeHolder:
        staff = self.app.registry.staff(self.staff_id)  # type: ignore[arg-type]
        return BadgeHolder(
            staff_id=staff.staff_id, name=staff.name, nursery_id=self.nursery_id,
            nursery_name="朱泾镇阳光托育园", roles=["infant_caregiver"],
            certificates=list(certificates) or default_certificates(),
        )

    def issue(self, *certificates: BadgeCertificate, now: dt.datetime | None = None, id_number: str | None = LI_NA):
        return self.badges.issuer.issue(self.holder(*certificates), actor=ACTOR, id_number=id_number,
                                        id_hash=self.id_hash, now=now)


def default_certificates(today: dt.date | None = None) -> list[BadgeCertificate]:
    today = today or district_today()
    return [
        BadgeCertificate(type="infant_care", number="YY-2024-000123", expires_on=today + dt.timedelta(days=900)),
        BadgeCertificate(type="health", number="JK-2026-004512", expires_on=today + dt.timedelta(days=200)),
    ]


def make_world(settings=None, *, app: Credentials | None = None) -> World:
    """On a new application over ``settings``, or on the given one (e.g. an HTTP app's)."""
    app = app or Credentials(settings)
    nursery = app.registry.register_nursery(
        NewNursery(name="朱泾镇阳光托育园", town="朱泾镇", ownership="public", inclusive=True), ACTOR
    )
    staff = app.registry.register_staff(name="李娜", id_number=LI_NA, registered_by=nursery.nursery_id, actor=ACTOR)
    badges = app.badges
    badges.keys.ensure(ACTOR)
    row = app.store.query_one("SELECT id_hash FROM staff WHERE staff_id = ?", (staff.staff_id,))
    return World(app=app, badges=badges, nursery_id=nursery.nursery_id, staff_id=staff.staff_id, id_hash=row["id_hash"])
