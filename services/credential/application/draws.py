"""The monthly 双随机 draw: announce (commitment), draw (reveal + beacon + log root), redraw (with a reason)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from contracts.inspections import DrawAnnouncement, DrawPair, DrawReveal, DrawRound, DrawView, Redraw
from services.credential.application.common import today
from services.credential.domain.inspection_draw import Draw, draw_id
from services.credential.domain.inspection_draw_rules import DrawInputs, commitment_of, draw_pairs, previous_month
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound


class Draws:
    """Random checks, computed only from inputs published before the result can be known."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def announce(self, data: DrawAnnouncement, actor: dict[str, Any]) -> DrawView:
        if data.month < today().strftime("%Y-%m"):
            raise Invalid(f"{data.month} is past", field="month")
        _beacon_after_today(data.beacon_on)
        if self._rounds(data.month):
            raise Conflict(f"the draw of {data.month} is already announced (redraw it with a reason)",
                           code="draw_announced")
        inputs = self._inputs_now(data.month)
        if data.count > len(inputs["pool"]):
            raise Invalid(f"count is more than the {len(inputs['pool'])} registered nurseries", field="count")
        draw = Draw(month=data.month, count=data.count, weighting=data.weighting, commitment=data.commitment,
                    beacon_source=data.beacon_source, beacon_on=data.beacon_on.isoformat(), actor=actor, **inputs)
        self.records.save_and_project(draw)
        return self.draw_of(data.month)

    def redraw(self, month: str, data: Redraw, actor: dict[str, Any]) -> DrawView:
        draw = self._draw(month)
        _beacon_after_today(data.beacon_on)
        inputs = self._inputs_now(month)
        count = data.count or draw.count
        if count > len(inputs["pool"]):
            raise Invalid(f"count is more than the {len(inputs['pool'])} registered nurseries", field="count")
        draw.reannounce(round=draw.round + 1, reason=data.reason, count=count, commitment=data.commitment,
                        beacon_source=data.beacon_source, beacon_on=data.beacon_on.isoformat(), actor=actor, **inputs)
        self.records.save_and_project(draw)
        return self.draw_of(month)

    def draw(self, month: str, data: DrawReveal, actor: dict[str, Any]) -> DrawView:
        draw = self._draw(month)
        if draw.pairs is not None:
            raise Conflict(f"round {draw.round} of {month} is drawn (redraw it with a reason)", code="already_drawn")
        if commitment_of(data.seed) != draw.commitment:
            raise Invalid("the seed does not match the announced commitment", field="seed", code="commitment_mismatch")
        if today().isoformat() < draw.beacon_on:
            raise Conflict(f"the beacon value is published on {draw.beacon_on}; draw on or after it",
                           code="beacon_not_published")
        log_size, log_root = self._log_after_announcement(self._rounds(month)[-1].announced_position)
        pairs = draw_pairs(DrawInputs.of(month, draw, seed=data.seed, beacon=data.beacon, log_root=log_root))
        draw.draw(round=draw.round, seed=data.seed, beacon=data.beacon, log_size=log_size, log_root=log_root,
                  pairs=pairs, actor=actor)
        self.records.save_and_project(draw)
        return self.draw_of(month)

    def _log_after_announcement(self, position: int) -> tuple[int, str]:
        """The Merkle tree of the log up to and including this round's announcement (its last leaf)."""
        audit = self.records.audit
        audit.tree_size()  # the tree caught up
        row = self.records.store.query_one("SELECT leaf_index FROM merkle_leaves WHERE notification_id = ?", (position,))
        if row is None:
            raise Conflict("the announcement is not in the log's tree yet; try again", code="log_behind")
        size = int(row["leaf_index"]) + 1
        return size, audit.root(size).hex()

    def _inputs_now(self, month: str) -> dict[str, Any]:
        """The pool, active inspectors, conflicts and the previous month's nurseries, as recorded now."""
        self.records.projector.catch_up("registry", "inspections")
        store = self.records.store
        pool = [r["nursery_id"] for r in store.query("SELECT nursery_id FROM nurseries ORDER BY nursery_id")]
        inspectors = [r["inspector_id"] for r in store.query(
            "SELECT inspector_id FROM inspectors WHERE active = ? ORDER BY inspector_id", (True,))]
        if not pool:
            raise Conflict("no nursery is registered", code="empty_pool")
        if not inspectors:
            raise Conflict("no inspector is active", code="no_active_inspector")
        conflicts = [[r["inspector_id"], r["nursery_id"]] for r in store.query(
            "SELECT inspector_id, nursery_id FROM inspector_conflicts ORDER BY inspector_id, nursery_id")]
        before = self._rounds(previous_month(month))
        previous = sorted(p.nursery_id for p in (before[-1].pairs or [])) if before else []
        return dict(pool=pool, inspectors=inspectors, conflicts=conflicts, previous=previous)

    def _draw(self, month: str) -> Draw:
        if not self._rounds(month):
            raise NotFound(f"no draw announced for {month}")
        return self.records.repository.get(draw_id(month))

    def _rounds(self, month: str) -> list[DrawRound]:
        self.records.projector.catch_up("inspections")
        rows = self.records.store.query("SELECT * FROM inspection_draw_rounds WHERE month = ? ORDER BY round", (month,))
        return [_round(r) for r in rows]

    def draw_of(self, month: str) -> DrawView:
        rounds = self._rounds(month)
        if not rounds:
            raise NotFound(f"no draw announced for {month}")
        return DrawView(month=month, rounds=rounds)

    def months(self) -> list[DrawView]:
        self.records.projector.catch_up("inspections")
        months = [r["month"] for r in self.records.store.query(
            "SELECT DISTINCT month FROM inspection_draw_rounds ORDER BY month")]
        return [self.draw_of(m) for m in months]

    def pair_of(self, month: str, nursery_id: str) -> str | None:
        """The inspector the month's draw (its last round) sent to this nursery, if any."""
        rounds = self._rounds(month)
        for pair in (rounds[-1].pairs or []) if rounds else []:
            if pair.nursery_id == nursery_id:
                return pair.inspector_id
        return None


def _beacon_after_today(beacon_on: dt.date) -> None:
    """The beacon value must not be known when the commitment is made: published on a later day."""
    if beacon_on <= today():
        raise Invalid("the beacon value is published after the announcement: a day after today or later",
                      field="beacon_on", code="beacon_known")


def _round(r: Any) -> DrawRound:
    return DrawRound(
        round=int(r["round"]), reason=r["reason"], count=int(r["count"]), weighting=r["weighting"],
        pool=json.loads(r["pool"]), inspectors=json.loads(r["inspectors"]), conflicts=json.loads(r["conflicts"]),
        previous=json.loads(r["previous"]), commitment=r["commitment"], beacon_source=r["beacon_source"],
        beacon_on=dt.date.fromisoformat(r["beacon_on"]), announced_at=r["announced_at"],
        announced_position=int(r["announced_position"]), seed=r["seed"], beacon=r["beacon"],
        log_size=None if r["log_size"] is None else int(r["log_size"]), log_root=r["log_root"],
        pairs=None if r["pairs"] is None else [DrawPair(nursery_id=n, inspector_id=i) for n, i in json.loads(r["pairs"])],
        drawn_at=r["drawn_at"],
    )
