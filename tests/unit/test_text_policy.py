"""The text policy and date ranges of ``contracts/``: complete for the running Unicode version,
stated the same in the schemas, and carried by every field of every request body."""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata

import msgspec
import pytest

from contracts import command, dates, text
from contracts.badges import VerifyRequest
from contracts.credentials import NewCertificate, NewViolation
from contracts.keys import NewKey
from contracts.registry import NewStaff
from contracts.training import BulkCompletions, Correction

ALL_CODE_POINTS = [chr(c) for c in range(sys.maxunicode + 1)]
REFUSED = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def test_every_control_format_surrogate_and_separator_character_is_refused():
    for ch in ALL_CODE_POINTS:
        category = unicodedata.category(ch)
        if category in REFUSED:
            assert text.refusal(f"a{ch}b") is not None, f"U+{ord(ch):04X} ({category}) is let through"
            if ch != "\n":
                assert text.refusal(f"a{ch}b", multiline=True) is not None, f"U+{ord(ch):04X} in prose"
    assert text.refusal("a\nb", multiline=True) is None


def test_what_the_schema_pattern_says_is_what_the_service_refuses_in_the_basic_plane():
    line, prose = re.compile(text.LINE_PATTERN), re.compile(text.PROSE_PATTERN)
    for ch in ALL_CODE_POINTS[:0x10000]:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            continue  # surrogates are left out of the patterns (a JSON Schema regex sees UTF-16)
        policy = text.refusal(f"a{ch}b") is not None
        assert (line.match(f"a{ch}b") is None) == policy, f"U+{ord(ch):04X}: pattern and policy disagree"
        assert (prose.match(f"a{ch}b") is None) == (policy and ch != "\n"), f"U+{ord(ch):04X} in prose"


@pytest.mark.parametrize(("raw", "stored"), [
    ("  王芳  ", "王芳"), ("\u3000王芳\u3000", "王芳"), ("Jose\u0301", "José"), ("\xa0王芳\u2003", "王芳"),
    ("王\u3000芳", "王\u3000芳"), ("\U00020000\u5b57", "\U00020000\u5b57"),  # CJK extension B stays
])
def test_text_is_stored_nfc_and_trimmed(raw, stored):
    assert msgspec.convert({"name": raw, "id_number": "x"}, NewStaff).name == stored


@pytest.mark.parametrize("raw", ["\u0301", "\u0301王", "\u20dd"])
def test_text_may_not_begin_with_a_combining_mark(raw):
    with pytest.raises(msgspec.ValidationError, match="begins with the combining mark .* - field `name`"):
        msgspec.convert({"name": raw, "id_number": "x"}, NewStaff)


def test_control_characters_at_the_ends_are_refused_not_trimmed():
    with pytest.raises(msgspec.ValidationError, match="name"):
        msgspec.convert({"name": "\t王芳", "id_number": "x"}, NewStaff)


def test_a_length_limit_counts_characters_after_normalisation():
    assert len(msgspec.convert({"name": " " + "a" * 98 + " ", "id_number": "x"}, NewStaff).name) == 98
    with pytest.raises(msgspec.ValidationError, match="more than 100 characters - field `name`"):
        msgspec.convert({"name": "\u0958" * 60, "id_number": "x"}, NewStaff)  # NFC makes each two characters


def test_errors_name_the_field_inside_nested_bodies_and_lists():
    item = {"event_id": "E1", "staff_id": "x", "course_code": "SK01", "completed_at": "x", "class_hours": 1}
    with pytest.raises(msgspec.ValidationError, match=r"must not be empty - field `staff_id` - at `\$.items\[1\]`"):
        msgspec.convert({"items": [item, {**item, "staff_id": " "}]}, BulkCompletions)
    with pytest.raises(msgspec.ValidationError, match=r"field `reason`"):
        msgspec.convert({"reason": "\u3000", "replacement": item}, Correction)
    with pytest.raises(command.FieldError, match=r"field `certificate_ids\[1\]`"):  # built in code, not decoded
        NewViolation(staff_id="0" * 32, what="x", occurred_on=dt.date(2025, 1, 1), action="revocation",
                     certificate_ids=["1" * 32, "\x00" * 32])


@pytest.mark.parametrize(("value", "ok"), [
    (dt.date(1900, 1, 1), True), (dt.date(2200, 12, 31), True), (dt.date(1899, 12, 31), False),
    (dt.date(2201, 1, 1), False), (dt.date.max, False), (dt.date.min, False),
])
def test_business_dates_are_between_1900_and_2200(value, ok):
    body = {"cert_type": "health", "number": "N1", "issuing_body": "x", "issued_on": "2025-01-01",
            "expires_on": value.isoformat(), "holder_id": "0" * 32}
    if ok:
        assert msgspec.convert(body, NewCertificate).expires_on == value
    else:
        with pytest.raises(msgspec.ValidationError, match="between 1900-01-01 and 2200-12-31 - field `expires_on`"):
            msgspec.convert(body, NewCertificate)


@pytest.mark.parametrize("expires_at", ["2030-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_key_expiry_is_an_instant_with_an_offset_in_range(expires_at):
    with pytest.raises(msgspec.ValidationError, match="expires_at"):
        msgspec.convert({"role": "auditor", "name": "x", "expires_at": expires_at}, NewKey)


def test_stored_content_is_built_without_the_checks_of_today():
    with command.as_stored():
        assert VerifyRequest(qr="\x00").qr == "\x00"
    with pytest.raises(ValueError):
        VerifyRequest(qr="\x00")
