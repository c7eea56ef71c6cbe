"""GB 11643-1999 resident ID numbers: validated, masked, hashed — never stored raw."""

import pytest

from shared import idnumber

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
