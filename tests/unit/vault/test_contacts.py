"""Email and phone validation, and what counts as official."""

import pytest

from vault.contacts import OfficialContacts, normalise_domain, normalise_email, normalise_phone
from vault.errors import InvalidInputError

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
