"""Phone numbers: Kazakh numbers parsed whatever way they are written, stored as E.164 (pure rules, no database).

Used by accounts (citizens' mobiles) and the directory (offices and studios).
"""
from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    pass


def normalize_kz_mobile(raw: str) -> str:
    """Parse a Kazakh mobile number written in any common way and return E.164 (+77XXXXXXXXX).

    Raises PhoneError for anything that is not a valid Kazakh mobile number
    (a Russian +7 9XX number included).
    """
    try:
        number = phonenumbers.parse(raw, "KZ")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid number")
    if phonenumbers.region_code_for_number(number) != "KZ":
        raise PhoneError("not a Kazakh number")
    if phonenumbers.number_type(number) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise PhoneError("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str) -> str:
    """Any valid Kazakh number (landline too), E.164; for offices and studios."""
    try:
        number = phonenumbers.parse(raw, "KZ")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
