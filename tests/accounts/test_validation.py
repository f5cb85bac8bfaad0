"""IIN, phone and e-mail rules (pure functions, no database)."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reception.accounts.validation import (
    EmailError,
    PhoneError,
    iin_check_digit,
    iin_error,
    mask_iin,
    normalize_email,
    normalize_kz_mobile,
)


@pytest.mark.parametrize("iin", ["850101300015", "921231400007", "000229500018", "050615601238",
                                 "850101300603", "901123300258"])
def test_published_valid_iins_are_accepted(iin):
    assert iin_error(iin) is None


def test_public_invalid_vector_is_refused_for_its_check_digit():
    assert iin_error("901123300255") == "checksum"


def test_second_pass_weights_are_used_when_first_sum_gives_ten():
    # 85010130060: first pass sums to 10 mod 11, second pass gives 3.
    digits = [int(c) for c in "85010130060"]
    assert sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10
    assert iin_check_digit("85010130060") == 3


@pytest.mark.parametrize("iin,reason", [
    ("85010130001", "format"), ("8501013000150", "format"), ("85010130001a", "format"),
    ("８５０１０１３０００１５", "format"),  # full-width digits are not ASCII digits
    ("851301300015", "date"), ("850230300015", "date"), ("010229500018", "date"),  # no 29 Feb 2001
])
def test_malformed_iins_are_refused_with_a_reason(iin, reason):
    assert iin_error(iin) == reason


def test_iin_with_birth_date_in_the_future_is_refused():
    assert iin_error("991231600000", today=date(2026, 11, 23)) == "date"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
       st.integers(min_value=0, max_value=9999), st.sampled_from("3456"))
def test_any_real_birth_date_with_its_computed_check_digit_is_valid(born, serial, century_digit):
    if (born.year >= 2000 and century_digit in "34") or (born.year < 2000 and century_digit in "56"):
        century_digit = {"3": "5", "4": "6", "5": "3", "6": "4"}[century_digit]
    first11 = born.strftime("%y%m%d") + century_digit + f"{serial:04d}"
    check = iin_check_digit(first11)
    if check is None:
        assert all(iin_error(first11 + str(d)) == "checksum" for d in range(10))
    else:
        assert iin_error(first11 + str(check)) is None
        assert iin_error(first11 + str((check + 1) % 10)) == "checksum"


def test_masked_iin_hides_the_middle_digits():
    assert mask_iin("850101300015") == "85********15"


@pytest.mark.parametrize("raw", ["+7 701 234 56 78", "87012345678", "8 (701) 234-56-78", "+77012345678",
                                 "7012345678"])
def test_kazakh_mobile_numbers_are_stored_as_e164(raw):
    assert normalize_kz_mobile(raw) == "+77012345678"


@pytest.mark.parametrize("raw", ["+7 912 345 67 89", "12345", "hello", "", "+7 7172 55 55 55"])
def test_non_kazakh_or_non_mobile_numbers_are_refused(raw):
    with pytest.raises(PhoneError):
        normalize_kz_mobile(raw)


def test_email_is_validated_and_normalized():
    assert normalize_email(" Aigul@Example.KZ ") == "aigul@example.kz"
    with pytest.raises(EmailError):
        normalize_email("not-an-email")
