"""The monthly 双随机 draw: announced with a commitment, drawn by revealing the seed, redrawn only with a reason.

The pairs follow from the announced inputs by ``inspection_draw_rules.draw_pairs``; the events
keep every input, so anyone can recompute them (``carecred inspections verify-draw``).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def draw_id(month: str) -> UUID:
    """One draw aggregate per month."""
    return uuid5(NAMESPACE_URL, f"carecred:inspection-draw:{month}")


class Draw(Aggregate):
    """The random checks of one month: nurseries each paired with an inspector."""

    TOPIC = "carecred.credential:Draw"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Draw.Event"
        actor: dict[str, Any]

    class Announced(Event, Aggregate.Created):
        """Every input but the seed and the beacon, fixed and public before the result can be known."""

        TOPIC = "carecred.credential:Draw.Announced.v1"
        month: str
        count: int
        weighting: str
        pool: list[str]
        inspectors: list[str]
        conflicts: list[list[str]]
        previous: list[str]
        commitment: str
        beacon_source: str
        beacon_on: str

    class Drawn(Event):
        """The seed revealed, the beacon value entered, the log root after the announcement, and the pairs."""

        TOPIC = "carecred.credential:Draw.Drawn.v1"
        round: int
        seed: str
        beacon: str
        log_size: int
        log_root: str
        pairs: list[list[str]]

    class Reannounced(Event):
        """A redraw: new commitment (and inputs as they now stand), with the reason; the earlier round stays."""

        TOPIC = "carecred.credential:Draw.Reannounced.v1"
        round: int
        reason: str
        count: int
        pool: list[str]
        inspectors: list[str]
        conflicts: list[list[str]]
        previous: list[str]
        commitment: str
        beacon_source: str
        beacon_on: str

    @staticmethod
    def create_id(month: str) -> UUID:
        return draw_id(month)

    @event(Announced)
    def __init__(self, month: str, count: int, weighting: str, pool: list[str], inspectors: list[str],
                 conflicts: list[list[str]], previous: list[str], commitment: str, beacon_source: str, beacon_on: str,
                 actor: dict[str, Any]):
        self.month = month
        self.weighting = weighting
        self.round = 1
        self._inputs(count, pool, inspectors, conflicts, previous, commitment, beacon_source, beacon_on)

    def _inputs(self, count: int, pool: list[str], inspectors: list[str], conflicts: list[list[str]],
                previous: list[str], commitment: str, beacon_source: str, beacon_on: str) -> None:
        self.count = count
        self.pool = list(pool)
        self.inspectors = list(inspectors)
        self.conflicts = [list(c) for c in conflicts]
        self.previous = list(previous)
        self.commitment = commitment
        self.beacon_source = beacon_source
        self.beacon_on = beacon_on
        self.pairs: list[list[str]] | None = None

    @event(Drawn)
    def draw(self, round: int, seed: str, beacon: str, log_size: int, log_root: str, pairs: list[list[str]],
             actor: dict[str, Any]) -> None:
        self.pairs = [list(p) for p in pairs]

    @event(Reannounced)
    def reannounce(self, round: int, reason: str, count: int, pool: list[str], inspectors: list[str],
                   conflicts: list[list[str]], previous: list[str], commitment: str, beacon_source: str,
                   beacon_on: str, actor: dict[str, Any]) -> None:
        self.round = round
        self._inputs(count, pool, inspectors, conflicts, previous, commitment, beacon_source, beacon_on)
