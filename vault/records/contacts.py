"""Validation of email addresses and phone numbers, and the official-contact rule.

The circular asks that accounts be registered with the post's OFFICIAL email id and phone number so
that they can be handed over on transfer. An email is official when its domain is one of the
registry's official domains (or below one); a phone number is official when it is registered to a
post or an officer in the registry. Phone numbers are stored in E.164.

Parsing is cached: a spreadsheet of 100,000 accounts repeats the same few thousand contacts, and
each parse costs tens of microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from vault.errors import InvalidInputError
from vault.store import reads

# The plain shape of nearly every official address: a dot-atom local part and an ASCII domain
# of letter-digit-hyphen labels under an alphabetic top-level domain. Addresses of this shape
# are accepted without email-validator, which costs about 60 microseconds each (seconds over a
# large import); anything else (quoted local parts, internationalised domains, special-use
# domains, labels with a double hyphen as in Punycode) goes to email-validator. A property test
# checks that both agree on this shape.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"^({_ATEXT}(?:\.{_ATEXT})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})\Z")
_SPECIAL_USE = {
    "arpa",
    "invalid",
    "local",
    "localhost",
    "onion",
    "test",
    "internal",
    "home",
    "lan",
    "corp",
    "intranet",
    "private",
}


@lru_cache(maxsize=65536)
def normalise_email(value: str) -> str:
    """The address in the form the registry stores (domain lower-cased), or an error."""
    text = value.strip()
    plain = _PLAIN_EMAIL.match(text)
    if (
        plain
        and len(plain[1]) <= 64
        and len(text) <= 254
        and plain[2].rpartition(".")[2].lower() not in _SPECIAL_USE
        and "--" not in plain[2]  # "xn--" and other reserved label forms: email-validator's
    ):
        return f"{plain[1]}@{plain[2].lower()}"
    from email_validator import EmailNotValidError, validate_email

    try:
        info = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInputError(f"{value!r} is not a valid email address: {exc}") from None
    return str(info.normalized)


@lru_cache(maxsize=65536)
def normalise_phone(value: str, region: str = "IN", *, mobile: bool = False) -> str:
    """The number in E.164 (``+919978400001``); numbers without ``+`` are read in ``region``.
    With ``mobile``, a landline is refused: a post's official number receives SMS codes and
    WhatsApp."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidInputError(f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInputError(f"{value!r} is not a valid phone number")
    mobile_kinds = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if mobile and phonenumbers.number_type(number) not in mobile_kinds:
        raise InvalidInputError(
            f"{value!r} is a landline: an official mobile must be a mobile number (SMS codes "
            "and WhatsApp need one)"
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_domain(value: str) -> str:
    domain = value.strip().lower().lstrip("@").rstrip(".")
    labels = domain.split(".")
    if len(labels) < 2 or not all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
    ):
        raise InvalidInputError(f"{value!r} is not a domain name like gujarat.gov.in")
    return domain


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


class OfficialContacts(NamedTuple):
    """The registry's official email domains and phone numbers, loaded once per operation."""

    domains: frozenset[str]
    phones: frozenset[str]

    def email_is_official(self, email: str) -> bool:
        domain = email_domain(email)
        return any(domain == d or domain.endswith("." + d) for d in self.domains)

    def phone_is_official(self, phone: str) -> bool:
        return phone in self.phones

    def is_official(self, value: str) -> bool:
        return self.email_is_official(value) if "@" in value else self.phone_is_official(value)

    def why_not(self, value: str) -> str:
        """Why a contact is not official, phrased as what the user can do about it."""
        if "@" in value:
            if not self.domains:
                return (
                    f"{value} is not on an official domain (none is configured: "
                    "add one with 'handover config domains add DOMAIN')"
                )
            return f"{value} is not on an official domain ({', '.join(sorted(self.domains))})"
        return f"{value} is not the official phone number of any post or officer"


def load_official(conn: Any, extra_phones: Iterable[str] = ()) -> OfficialContacts:
    """The official domains and every post's and officer's phone number, as the contact rules
    judge a contact against them."""
    domains = frozenset(reads.scalars(conn, "official_domains"))
    phones = frozenset((*reads.scalars(conn, "official_phones"), *extra_phones))
    return OfficialContacts(domains, phones)
