"""A small district across 2026 that opens, converts, suspends and closes nurseries, with a few people at work.

    朱泾一托      托育机构   public  普惠  opened 2025-09-01
    枫泾宝贝      托育机构   private       opened 2026-03-01, 普惠 from 2026-07-01
    石化一幼      幼儿园     public  普惠  opened 2020-09-01 with no 托班 (0 places), 20 places from 2026-09-01
    张堰幼儿园    幼儿园托班 private 普惠  opened 2024-09-01, 15 places
    亭林社区托育点 社区托育点 public  普惠  opened 2026-02-01, suspended 2026-05-10, reopened 2026-06-01
    吕巷托育园    托育机构   private       opened 2025-01-01, closed 2026-06-30 (its worker is still assigned)
    山阳新托      托育机构   public  普惠  opens 2027-01-01
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from contracts.registry import NewNursery, NurseryDetails, NurseryStatusChange
from services.credential.application import Credentials
from tests.integration.certification_world import REGISTRAR, assign, certificate, person

D = dt.date.fromisoformat
VALID = (D("2025-01-01"), D("2028-12-31"))


@dataclass
class DistrictYear:
    ids: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    before_closing: dt.datetime | None = None
    """An instant after everything but 吕巷托育园's closure was recorded."""


def opened(app: Credentials, name: str, town: str, ownership: str, inclusive: bool, kind: str, on: str,
           capacity: int | None = 30) -> str:
    data = NewNursery(name=name, town=town, ownership=ownership, inclusive=inclusive, kind=kind, opened_on=D(on),
                      capacity=capacity)
    return app.registry.register_nursery(data, REGISTRAR).nursery_id


def change(on: str, why: str = "区教育局通知") -> NurseryStatusChange:
    return NurseryStatusChange(effective_on=D(on), reason=why)


def worker(app: Credentials, name: str, where: str, role: str, start: str, *cert_types: str) -> str:
    someone = person(app, name, where)
    for cert_type in cert_types:
        certificate(app, someone, cert_type, *VALID)
    assign(app, someone, where, role, D(start))
    return someone


def make_district_year(app: Credentials) -> DistrictYear:
    world = DistrictYear()
    ids, life = world.ids, app.nursery_lifecycle
    ids["朱泾"] = opened(app, "朱泾一托", "朱泾镇", "public", True, "nursery", "2025-09-01")
    ids["枫泾"] = opened(app, "枫泾宝贝", "枫泾镇", "private", False, "nursery", "2026-03-01")
    ids["石化"] = opened(app, "石化一幼", "石化街道", "public", True, "kindergarten", "2020-09-01", capacity=0)
    ids["张堰"] = opened(app, "张堰幼儿园", "张堰镇", "private", True, "kindergarten", "2024-09-01", capacity=15)
    ids["亭林"] = opened(app, "亭林社区托育点", "亭林镇", "public", True, "community", "2026-02-01")
    ids["吕巷"] = opened(app, "吕巷托育园", "吕巷镇", "private", False, "nursery", "2025-01-01")
    ids["山阳"] = opened(app, "山阳新托", "山阳镇", "public", True, "nursery", "2027-01-01")
    life.change_details(ids["枫泾"], NurseryDetails(effective_on=D("2026-07-01"), inclusive=True, reason="认定为普惠性托育机构"), REGISTRAR)
    life.change_details(ids["石化"], NurseryDetails(effective_on=D("2026-09-01"), capacity=20, reason="开设托班"), REGISTRAR)
    life.suspend(ids["亭林"], change("2026-05-10", "消防整改"), REGISTRAR)
    life.reopen(ids["亭林"], change("2026-06-01", "整改完成"), REGISTRAR)
    world.people["保育员甲"] = worker(app, "保育员甲", ids["朱泾"], "nursery_worker", "2026-01-05", "nursery_worker", "health")
    world.people["教师甲"] = worker(app, "教师甲", ids["石化"], "teacher", "2026-01-05", "teacher", "health", "infant_care")
    world.people["教师乙"] = worker(app, "教师乙", ids["石化"], "teacher", "2026-01-05", "teacher", "health")
    world.people["保育员乙"] = worker(app, "保育员乙", ids["吕巷"], "nursery_worker", "2026-01-10", "nursery_worker", "health")
    world.people["保育员丙"] = someone = person(app, "保育员丙", ids["亭林"])  # health certificate lapses 31 March
    certificate(app, someone, "nursery_worker", *VALID)
    certificate(app, someone, "health", D("2025-04-01"), D("2026-03-31"))
    assign(app, someone, ids["亭林"], "nursery_worker", D("2026-03-01"))
    app.projector.catch_up()
    world.before_closing = dt.datetime.now(dt.UTC)
    life.close(ids["吕巷"], change("2026-06-30", "停止办学"), REGISTRAR)
    return world
