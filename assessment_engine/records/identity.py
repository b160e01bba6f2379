"""Scottish and UK identifiers: CHI number, NHS number and postcode, and name search keys.

The rules are those of the product brief: a CHI number is 10 digits, the first six a real date
of birth (DDMMYY), and the tenth a check digit by Mod-11 or (since February 2026) Mod-10.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_MOD11_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


class IdentifierError(ValueError):
    """An identifier that is not valid; the message says which part is wrong."""


def _digits(value: str, what: str) -> str:
    title = what[0].upper() + what[1:]
    cleaned = re.sub(r"[\s-]", "", value or "")
    if not cleaned:
        raise IdentifierError(f"Enter the {what}")
    if not cleaned.isdigit():
        raise IdentifierError(f"{title} must contain only digits")
    if len(cleaned) != 10:
        raise IdentifierError(f"{title} must be 10 digits (you entered {len(cleaned)})")
    return cleaned


def mod11_check_digit(first_nine: str) -> int | None:
    """The Mod-11 check digit of nine digits, or None where the remainder makes none (10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, _MOD11_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def mod10_check_digit(first_nine: str) -> int:
    """The Mod-10 check digit: digits 1, 3, 5, 7 and 9 doubled (less 9 when over 9), all summed."""
    total = 0
    for position, char in enumerate(first_nine, start=1):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def chi_date_of_birth(chi: str) -> date | None:
    """The date in a CHI number's first six digits, or None if it is not a real date.

    DDMMYY gives no century; the latest date not in the future is taken.
    """
    day, month, year2 = int(chi[0:2]), int(chi[2:4]), int(chi[4:6])
    today = date.today()
    for century in (2000, 1900):
        try:
            candidate = date(century + year2, month, day)
        except ValueError:
            return None
        if candidate <= today:
            return candidate
    return None


def validate_chi(value: str) -> str:
    """The CHI number as 10 digits, or IdentifierError saying which part is wrong."""
    chi = _digits(value, "CHI number")
    if chi_date_of_birth(chi) is None:
        raise IdentifierError(
            f"The first 6 digits of a CHI number are the date of birth as DDMMYY; "
            f"{chi[:6]} is not a real date"
        )
    expected = int(chi[9])
    if expected != mod11_check_digit(chi[:9]) and expected != mod10_check_digit(chi[:9]):
        raise IdentifierError(
            "The last digit of this CHI number (the check digit) does not match the others; "
            "check it was typed correctly"
        )
    return chi


def chi_matches_date_of_birth(chi: str, date_of_birth: date) -> bool:
    return chi[:6] == date_of_birth.strftime("%d%m%y")


def validate_nhs_number(value: str) -> str:
    """The NHS number as 10 digits (Mod-11 check), or IdentifierError."""
    number = _digits(value, "NHS number")
    if int(number[9]) != mod11_check_digit(number[:9]):
        raise IdentifierError(
            "The last digit of this NHS number (the check digit) does not match the others; "
            "check it was typed correctly"
        )
    return number


def normalise_postcode(value: str) -> str:
    """Upper case, spaces removed, checked for the shape of a UK postcode."""
    postcode = re.sub(r"\s", "", value or "").upper()
    if not _POSTCODE.match(postcode):
        raise IdentifierError("Enter a real postcode, like PH1 5PH")
    return postcode


def format_postcode(postcode: str) -> str:
    return f"{postcode[:-3]} {postcode[-3:]}" if postcode else ""


def name_key(name: str, *, surname: bool = False) -> str:
    """A search key forgiving of case, accents, hyphens, apostrophes, spaces and Mac/Mc."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))
    if surname and letters.startswith("mac"):
        letters = "mc" + letters[3:]
    return letters
