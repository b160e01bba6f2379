"""CHI number, NHS number and postcode rules, as the product brief gives them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment_engine.records.identity import (
    IdentifierError,
    mod10_check_digit,
    mod11_check_digit,
    name_key,
    normalise_postcode,
    validate_chi,
    validate_nhs_number,
)


def test_the_brief_examples() -> None:
    assert validate_chi("1904851231") == "1904851231"  # Mod-11
    assert validate_chi("0101201234") == "0101201234"  # Mod-10 only
    assert mod11_check_digit("010120123") != 4
    with pytest.raises(IdentifierError, match="check digit"):
        validate_chi("0101201233")


def test_chi_is_kept_as_a_string_with_its_leading_zero() -> None:
    assert validate_chi("0101201234").startswith("0")
    assert validate_chi(" 010120 1234 ") == "0101201234"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the CHI number"),
        ("19048512", "must be 10 digits (you entered 8)"),
        ("190485123X", "only digits"),
        ("3102851234", "310285 is not a real date"),
        ("0013001234", "not a real date"),
        ("1904851232", "check digit"),
    ],
)
def test_chi_messages_say_which_part_is_wrong(value: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)):
        validate_chi(value)


def _chi_body(dob: date, serial: int) -> str:
    return f"{dob:%d%m%y}{serial:03d}"


dates = st.dates(min_value=date(1910, 1, 1), max_value=date.today() - timedelta(days=1))


@given(dates, st.integers(0, 999))
def test_a_number_with_either_check_digit_is_valid(dob: date, serial: int) -> None:
    body = _chi_body(dob, serial)
    assert validate_chi(body + str(mod10_check_digit(body)))
    check11 = mod11_check_digit(body)
    if check11 is not None:
        assert validate_chi(body + str(check11))


@given(dates, st.integers(0, 999), st.integers(0, 9))
def test_a_number_with_neither_check_digit_is_invalid(dob: date, serial: int, last: int) -> None:
    body = _chi_body(dob, serial)
    if last in (mod10_check_digit(body), mod11_check_digit(body)):
        return
    with pytest.raises(IdentifierError, match="check digit"):
        validate_chi(body + str(last))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mod11_remainder_of_ten_gives_no_check_digit(body: str) -> None:
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
    assert (mod11_check_digit(body) is None) == (11 - total % 11 == 10)


def test_nhs_number_uses_mod11_only() -> None:
    assert validate_nhs_number("943 476 5919") == "9434765919"
    with pytest.raises(IdentifierError, match="check digit"):
        validate_nhs_number("9434765918")


@pytest.mark.parametrize("value", ["ph1 5ph", "PH15PH", "EH1 1YZ", "G2 1DY", "SW1A 1AA"])
def test_postcodes(value: str) -> None:
    assert " " not in normalise_postcode(value)


@pytest.mark.parametrize("value", ["PH1", "12345", "PH1 5P", "QQ"])
def test_bad_postcodes(value: str) -> None:
    with pytest.raises(IdentifierError, match="real postcode"):
        normalise_postcode(value)


def test_name_keys_forgive_case_accents_hyphens_and_mac() -> None:
    assert name_key("MacDonald", surname=True) == name_key("mcdonald", surname=True)
    assert name_key("Seán") == name_key("SEAN")
    assert name_key("O'Brien", surname=True) == name_key("OBrien", surname=True)
    assert name_key("Campbell-Lamont", surname=True) == name_key("Campbell Lamont", surname=True)
