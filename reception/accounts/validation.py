"""Pure checks for identity data: IIN, phone numbers, e-mail addresses."""
from __future__ import annotations

from datetime import date

from email_validator import EmailNotValidError, validate_email

from ..core.clock import local_today
from ..core.phones import PhoneError, format_phone, normalize_kz_mobile, normalize_phone  # noqa: F401

_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Seventh digit: century (and sex). 0 has been seen for foreign residents: century unknown.
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


def iin_check_digit(first11: str) -> int | None:
    """The check digit for 11 digits, or None when the number cannot be issued."""
    digits = [int(c) for c in first11]
    check = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
        if check == 10:
            return None
    return check


def iin_birth_date(iin: str) -> date | None:
    """The birth date encoded in an IIN, or None when the date part is impossible."""
    century = _CENTURY.get(iin[6])
    yy, mm, dd = int(iin[0:2]), int(iin[2:4]), int(iin[4:6])
    if century is None:
        # Unknown century (foreign residents): accept if the date exists in either century.
        for c in (1900, 2000):
            try:
                return date(c + yy, mm, dd)
            except ValueError:
                continue
        return None
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        return None


def iin_error(value: str, today: date | None = None) -> str | None:
    """Why ``value`` is not a valid IIN ("format", "date", "checksum"), or None if it is valid."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return "format"
    born = iin_birth_date(value)
    if born is None or born > (today or local_today()):
        return "date"
    expected = iin_check_digit(value[:11])
    if expected is None or expected != int(value[11]):
        return "checksum"
    return None


def is_valid_iin(value: str) -> bool:
    return iin_error(value) is None


def mask_iin(iin: str) -> str:
    """Show the first two and last two digits only: 85********15."""
    if len(iin) < 4:
        return "*" * len(iin)
    return iin[:2] + "*" * (len(iin) - 4) + iin[-2:]


class EmailError(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Syntax check (no DNS lookups: the machine may be offline) and normalized form."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise EmailError(str(exc)) from exc
    return result.normalized.lower()
