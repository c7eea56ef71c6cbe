"""The draw's pairs are a pure function of its published inputs: fixed, sensitive to each input, within the rules."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter

import pytest

from services.credential.domain.inspection_draw_rules import DrawInputs, Stream, commitment_of, draw_pairs, previous_month

INPUTS = DrawInputs(
    month="2027-01", round=1, count=3, weighting="uniform", pool=[f"n{k}" for k in range(6)],
    inspectors=["i1", "i2", "i3"], conflicts=[["i1", "n0"]], previous=["n1"], seed="00" * 32, beacon="3 7 1",
    log_root="ab" * 32,
)


def test_the_same_inputs_give_the_same_pairs_everywhere():
    # A known answer: a verifier written from docs/inspections.md must reproduce it.
    assert draw_pairs(INPUTS) == [["n0", "i2"], ["n5", "i2"], ["n3", "i2"]]


@pytest.mark.parametrize("change", [
    {"seed": "01" * 32}, {"beacon": "3 7 2"}, {"log_root": "ac" * 32}, {"round": 2}, {"month": "2027-02"},
])
def test_changing_any_secret_or_public_input_changes_the_draw(change):
    assert draw_pairs(dataclasses.replace(INPUTS, **change)) != draw_pairs(INPUTS)


def test_conflicts_inactive_inspectors_and_last_months_nurseries_are_respected_over_many_seeds():
    seen = Counter()
    for k in range(400):
        inputs = dataclasses.replace(INPUTS, seed=hashlib.sha256(str(k).encode()).hexdigest(), count=5)
        pairs = draw_pairs(inputs)
        assert len({n for n, _ in pairs}) == 5
        assert ["n0", "i1"] not in pairs
        assert "n1" not in [n for n, _ in pairs]  # five others were there: last month's stays out
        seen.update(n for n, _ in pairs)
    assert set(seen) == {"n0", "n2", "n3", "n4", "n5"}
    exhausted = draw_pairs(dataclasses.replace(INPUTS, count=6))
    assert [n for n, _ in exhausted][-1] == "n1"  # only once the others are drawn


def test_a_nursery_no_inspector_may_visit_is_not_eligible():
    inputs = dataclasses.replace(INPUTS, inspectors=["i1"], count=6)
    assert "n0" not in [n for n, _ in draw_pairs(inputs)]


def test_the_stream_has_no_modulo_bias_and_the_helpers_agree_with_the_docs():
    stream = Stream(b"k" * 32)
    counts = Counter(stream.below(3) for _ in range(3000))
    assert set(counts) == {0, 1, 2} and min(counts.values()) > 900
    assert commitment_of("00" * 32) == hashlib.sha256(bytes(32)).hexdigest()
    assert previous_month("2027-01") == "2026-12" and previous_month("2027-10") == "2027-09"
