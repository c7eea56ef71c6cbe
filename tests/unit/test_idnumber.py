"""GB 11643-1999 resident ID numbers: validated, masked, hashed — never stored raw."""

import datetime as dt

import pytest

from shared import idnumber
from shared.errors import Invalid

VALID = "11010519491231002X"  # the standard's own worked example


def test_the_standards_example_is_valid_and_canonicalised():
    assert idnumber.normalise(" 11010519491231002x ") == VALID


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("110105194912310021", "check character"),
        ("11010519491231002", "17 digits"),
        ("1101051949123100XX", "17 digits"),
        ("110105194913310028", "date of birth"),
        ("１１０１０５１９４９１２３１００２X", "17 digits"),  # full-width digits
    ],
)
def test_a_bad_number_is_refused_with_the_reason(text, why):
    with pytest.raises(idnumber.InvalidIdNumber, match=why):
        idnumber.normalise(text)


@pytest.mark.parametrize(("first17", "why"), [
    ("31011620990101001", "date of birth"),  # born in 2099
    ("31011600010101001", "date of birth"),  # born in year 1
    ("31011618991231001", "date of birth"),  # born in 1899
    ("00000019880512001", "region"),  # region 000000
    ("99011619880512001", "region"),  # no province 99
    ("90011619880512001", "region"),  # a permanent residence card, but no province 00
])
def test_an_impossible_birth_date_or_region_is_refused(first17, why):
    with pytest.raises(idnumber.InvalidIdNumber, match=why):
        idnumber.normalise(idnumber.make_valid(first17))


def test_the_birth_date_may_be_today_but_not_tomorrow():
    number = idnumber.make_valid("31011620260301001")
    assert idnumber.normalise(number, today=dt.date(2026, 3, 1)) == number
    with pytest.raises(idnumber.InvalidIdNumber, match="date of birth"):
        idnumber.normalise(number, today=dt.date(2026, 2, 28))


@pytest.mark.parametrize("first17", ["81000019900101001", "83000019900101001", "93115619900101001"])
def test_residence_permits_and_permanent_residence_cards_are_accepted(first17):
    assert idnumber.normalise(idnumber.make_valid(first17)) == idnumber.make_valid(first17)


def test_every_check_character_is_reachable_and_verifies():
    seen = set()
    for serial in range(200):
        number = idnumber.make_valid(f"31011619900101{serial:03d}")
        assert idnumber.normalise(number) == number
        seen.add(number[-1])
    assert seen == set("0123456789X")


def test_masked_form_shows_only_the_ends():
    assert idnumber.mask(VALID) == "110***********002X"


def test_keyed_hash_depends_on_the_key():
    a = idnumber.keyed_hash(VALID, b"k" * 32)
    assert a == idnumber.keyed_hash(VALID, b"k" * 32)
    assert a != idnumber.keyed_hash(VALID, b"j" * 32)
    assert VALID not in a and len(a) == 64


def test_a_number_that_is_not_valid_is_a_rule_broken_on_the_field_it_came_in():
    assert idnumber.canonical(" 11010519491231002x ") == VALID
    with pytest.raises(Invalid) as refused:
        idnumber.canonical("110105194912310021", field="holder.id_number")
    assert (refused.value.field, refused.value.code) == ("holder.id_number", "invalid_id_number")
    assert refused.value.detail == "holder.id_number check character does not match (GB 11643-1999)"
