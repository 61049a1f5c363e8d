"""Email and phone validation, and what counts as official."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vault.errors import InvalidInputError
from vault.records.contacts import (
    OfficialContacts,
    normalise_domain,
    normalise_email,
    normalise_phone,
)

OFFICIAL = OfficialContacts(frozenset({"gujarat.gov.in", "nic.in"}), frozenset({"+919978400001"}))


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("+919978400001", "+919978400001"),
        ("9978400001", "+919978400001"),
        ("+91 99784 00001", "+919978400001"),
        ("079-2550 1234", "+917925501234"),
    ],
)
def test_phone_numbers_are_stored_in_e164(given: str, stored: str) -> None:
    assert normalise_phone(given) == stored


@pytest.mark.parametrize("bad", ["12345", "phone", "+91 12", ""])
def test_bad_phone_numbers(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        normalise_phone(bad)


def test_email_domain_is_lower_cased() -> None:
    assert normalise_email(" Collector.AHD@Gujarat.GOV.in ") == "Collector.AHD@gujarat.gov.in"


@pytest.mark.parametrize("bad", ["collector", "a@", "@gujarat.gov.in", "a b@gov.in", "a@b"])
def test_bad_emails(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        normalise_email(bad)


@pytest.mark.parametrize(
    ("value", "official"),
    [
        ("collector.ahd@gujarat.gov.in", True),
        ("dio@revenue.gujarat.gov.in", True),
        ("x@nic.in", True),
        ("someone@gmail.com", False),
        ("x@notgujarat.gov.in", False),
        ("+919978400001", True),
        ("+919978400002", False),
    ],
)
def test_official(value: str, official: bool) -> None:
    assert OFFICIAL.is_official(value) is official


def test_domains() -> None:
    assert normalise_domain("@Gujarat.Gov.In.") == "gujarat.gov.in"
    for bad in ("gov", "gu jarat.gov.in", "-.in", ""):
        with pytest.raises(InvalidInputError):
            normalise_domain(bad)


LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,12}(\.[A-Za-z0-9_-]{1,8}){0,2}"
DOMAIN = r"([A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,8}"


@settings(max_examples=400, deadline=None)
@given(st.from_regex(rf"\A{LOCAL}@{DOMAIN}\Z") | st.text(max_size=40))
@example("0@00--0.AA")  # a reserved label form, found by this test
def test_the_fast_email_path_agrees_with_email_validator(address: str) -> None:
    """Whatever normalise_email accepts, email-validator accepts, in the same form."""
    from email_validator import EmailNotValidError, validate_email

    normalise_email.cache_clear()
    try:
        ours = normalise_email(address)
    except InvalidInputError:
        with pytest.raises(EmailNotValidError):
            validate_email(address.strip(), check_deliverability=False)
        return
    theirs = validate_email(address.strip(), check_deliverability=False).normalized
    assert ours == theirs
