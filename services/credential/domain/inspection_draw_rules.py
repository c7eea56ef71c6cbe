"""How a month's pairs follow from its published inputs: pure, deterministic, the same for everyone.

    key    = SHA-256("carecred-draw/v1\\n" month "\\n" round "\\n" seed "\\n" beacon "\\n" log_root)
    stream = HMAC-SHA256(key, counter) for counter = 0, 1, 2, ... (8-byte big-endian), 64-bit words
    below(m) = the next word w with w < floor(2^64 / m) * m (rejection: no modulo bias), then w mod m

Nurseries (``uniform`` weighting: each eligible nursery equally likely) are picked one at a time
without replacement from the sorted pool, first among those not drawn the month before, and
only when they are exhausted among those that were; a nursery no active inspector may visit
(every one declared a conflict) is not eligible. Each picked nursery gets an inspector picked
from the sorted active inspectors without a declared conflict with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

FORMAT = "carecred-draw/v1"
WEIGHTINGS = ("uniform",)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SEED = re.compile(r"^[0-9a-f]{64}$")


def commitment_of(seed: str) -> str:
    """The commitment announced before the draw: SHA-256 of the seed's bytes (hex)."""
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


@dataclass(frozen=True)
class DrawInputs:
    """Everything the pairs depend on, as published in the draw's events."""

    month: str
    round: int
    count: int
    weighting: str
    pool: list[str]
    inspectors: list[str]
    conflicts: list[list[str]]
    previous: list[str]
    seed: str
    beacon: str
    log_root: str

    @classmethod
    def of(cls, month: str, announced: Any, *, seed: str, beacon: str, log_root: str) -> DrawInputs:
        """A round's announced inputs, from anything that has them as attributes (the draw aggregate, or a round
        as published), with the draw's values."""
        return cls(month=month, round=announced.round, count=announced.count, weighting=announced.weighting,
                   pool=announced.pool, inspectors=announced.inspectors, conflicts=announced.conflicts,
                   previous=announced.previous, seed=seed, beacon=beacon, log_root=log_root)


class Stream:
    """Uniform integers from HMAC-SHA256 in counter mode."""

    def __init__(self, key: bytes):
        self.key = key
        self.counter = 0
        self.buffer = b""

    def word(self) -> int:
        if len(self.buffer) < 8:
            self.buffer += hmac.new(self.key, self.counter.to_bytes(8, "big"), hashlib.sha256).digest()
            self.counter += 1
        value, self.buffer = int.from_bytes(self.buffer[:8], "big"), self.buffer[8:]
        return value

    def below(self, m: int) -> int:
        limit = (2**64 // m) * m
        while True:
            w = self.word()
            if w < limit:
                return w % m


def draw_key(inputs: DrawInputs) -> bytes:
    text = "\n".join([FORMAT, inputs.month, str(inputs.round), inputs.seed, inputs.beacon, inputs.log_root])
    return hashlib.sha256(text.encode()).digest()


def draw_pairs(inputs: DrawInputs) -> list[list[str]]:
    """[[nursery_id, inspector_id], ...] in the order drawn."""
    if inputs.weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {inputs.weighting}")
    stream = Stream(draw_key(inputs))
    conflicted: dict[str, set[str]] = {}
    for inspector_id, nursery_id in inputs.conflicts:
        conflicted.setdefault(nursery_id, set()).add(inspector_id)
    inspectors = sorted(set(inputs.inspectors))

    def free(nursery_id: str) -> list[str]:
        return [i for i in inspectors if i not in conflicted.get(nursery_id, set())]

    eligible = [n for n in sorted(set(inputs.pool)) if free(n)]
    drawn_before = set(inputs.previous)
    fresh = [n for n in eligible if n not in drawn_before]
    again = [n for n in eligible if n in drawn_before]
    pairs: list[list[str]] = []
    for candidates in (fresh, again):
        while candidates and len(pairs) < inputs.count:
            nursery_id = candidates.pop(stream.below(len(candidates)))
            choice = free(nursery_id)
            pairs.append([nursery_id, choice[stream.below(len(choice))]])
    return pairs
