"""The registry's vocabulary: levels, platforms, kinds, 2FA methods, verification states, and the
plain records that the domain functions return.

Records are named tuples rather than ORM objects: they are what the command line prints and
what packets carry, and they must not change under the caller or reach back into the database.
Named tuples rather than frozen dataclasses: every command imports this module, and a frozen
dataclass takes some five times as long to make (0.5 ms against 0.1 ms for an account).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from vault.errors import InvalidInputError


class Level(StrEnum):
    """The three levels at which the circular organises posts and groups."""

    STATE = "state"
    HOD = "hod"
    DISTRICT = "district"


class Platform(StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    LINKEDIN = "linkedin"
    THREADS = "threads"
    OTHER = "other"


PLATFORM_ALIASES = {
    "twitter": Platform.X,
    "fb": Platform.FACEBOOK,
    "ig": Platform.INSTAGRAM,
    "yt": Platform.YOUTUBE,
    "wa": Platform.WHATSAPP,
}


class AccountKind(StrEnum):
    """``official``: the post's account, handed over on transfer. ``personal``: an officer's own,
    which must carry the "views are my own" disclaimer."""

    OFFICIAL = "official"
    PERSONAL = "personal"


class TwoFactor(StrEnum):
    NONE = "none"
    SMS = "sms"
    TOTP = "totp"
    HARDWARE_KEY = "hardware-key"
    UNKNOWN = "unknown"


class Status(StrEnum):
    """Platform verification of an account; changes follow :data:`vault.verification.ALLOWED`."""

    UNVERIFIED = "unverified"
    APPLIED = "applied"
    VERIFIED = "verified"
    REJECTED = "rejected"
    LAPSED = "lapsed"


class ContactField(StrEnum):
    """Contacts of an official account that must be official (or carry a recorded override)."""

    LOGIN_EMAIL = "login_email"
    LOGIN_PHONE = "login_phone"
    RECOVERY_EMAIL = "recovery_email"
    RECOVERY_PHONE = "recovery_phone"


SLUG_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
# What each platform allows in a handle (after an optional leading "@"): an account named with
# anything else is a typing error or a look-alike. Platforms that take letters of any script
# still refuse spaces, control, format (bidi, zero-width) and separator characters.
HANDLE_CHARS: dict[str, tuple[re.Pattern[str], str]] = {
    "x": (re.compile(r"[A-Za-z0-9_]+"), "ASCII letters, digits and _"),
    "instagram": (re.compile(r"[A-Za-z0-9_.]+"), "ASCII letters, digits, _ and ."),
    "threads": (re.compile(r"[A-Za-z0-9_.]+"), "ASCII letters, digits, _ and ."),
    "telegram": (re.compile(r"[A-Za-z0-9_]+"), "ASCII letters, digits and _"),
    "facebook": (re.compile(r"[A-Za-z0-9_.\-]+"), "ASCII letters, digits, ., - and _"),
    "whatsapp": (re.compile(r"\+?[0-9]{5,15}"), "a phone number (digits, + in front)"),
    "youtube": (re.compile(r"[\w.\-·]+"), "letters, digits, _, - and ."),
    "linkedin": (re.compile(r"[\w\-]+"), "letters, digits, _ and -"),
}
HANDLE_MAX = 200
GRADE_SUPER_TIME_SCALE = (
    "super time scale",
    "above super time scale",
    "apex scale",
    "higher administrative grade",
    "hag",
    "chief secretary",
)


def slug(value: str, what: str) -> str:
    """A typed identifier for a post, officer or group: lower case, digits, ``.-_``."""
    cleaned = value.strip().lower()
    if not SLUG_RE.fullmatch(cleaned):
        example = "ias-0042" if "officer" in what else "collector-ahmedabad"
        raise InvalidInputError(
            f"{what} {value!r} is not a valid identifier: use letters, digits, '.', '-' or '_' "
            f"(for example {example})"
        )
    return cleaned


@lru_cache(maxsize=256)
def parse_level(value: str) -> Level:
    try:
        return Level(value.strip().lower())
    except ValueError:
        raise InvalidInputError(f"unknown level {value!r}: choose state, hod or district") from None


@lru_cache(maxsize=256)
def parse_platform(value: str) -> Platform:
    key = value.strip().lower()
    if key in PLATFORM_ALIASES:
        return PLATFORM_ALIASES[key]
    try:
        return Platform(key)
    except ValueError:
        names = ", ".join(p.value for p in Platform)
        raise InvalidInputError(f"unknown platform {value!r}: choose one of {names}") from None


@lru_cache(maxsize=256)
def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise InvalidInputError(f"unknown verification status {value!r}: choose {names}") from None


@lru_cache(maxsize=256)
def parse_twofa(value: str) -> TwoFactor:
    key = value.strip().lower().replace("_", "-")
    if key in ("hardware", "key", "security-key"):
        return TwoFactor.HARDWARE_KEY
    try:
        return TwoFactor(key)
    except ValueError:
        names = ", ".join(t.value for t in TwoFactor)
        raise InvalidInputError(f"unknown 2FA method {value!r}: choose {names}") from None


@lru_cache(maxsize=256)
def parse_kind(value: str) -> AccountKind:
    try:
        return AccountKind(value.strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown account kind {value!r}: choose official or personal"
        ) from None


# Where the circular's officers are: the time zone tables use unless a registry says otherwise.
DEFAULT_TIMEZONE = "Asia/Kolkata"
# How a rotation reason begins when the escrow copy of a post's secrets was opened (the audit
# looks for it).
ESCROW_OPENED = "escrow opened"

_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_SHORT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")


def parse_date(value: str, what: str = "date", *, day_first: bool = True) -> dt.date:
    """A date as people write it: ISO (2026-01-31), or with the day first as in India
    (31/01/2026, 31-01-2026, 31.01.2026), or with the month first when a registry's
    ``date_order`` says so. A year in two digits is refused: nobody can tell its century."""
    text = value.strip()
    example = "31/01/2026" if day_first else "01/31/2026"
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    found = _DAY_MONTH_YEAR.fullmatch(text)
    if found:
        first, second, year = map(int, found.groups())
        day, month = (first, second) if day_first else (second, first)
    elif found := _YEAR_MONTH_DAY.fullmatch(text):
        year, month, day = map(int, found.groups())
    elif _SHORT_YEAR.fullmatch(text):
        raise InvalidInputError(f"{what} {value!r}: write the year in full, e.g. {example}")
    else:
        raise InvalidInputError(f"{what} {value!r} is not a date: write 2026-01-31 or {example}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        order = "day/month/year" if day_first else "month/day/year"
        raise InvalidInputError(f"{what} {value!r} is not a date (read as {order})") from None


def is_super_time_scale(grade: str | None) -> bool:
    """Whether a grade is "super time scale and above", whom the circular requires a smartphone."""
    return bool(grade) and grade.strip().lower() in GRADE_SUPER_TIME_SCALE  # type: ignore[union-attr]


class AccountRef(NamedTuple):
    """How people name an account: ``platform:handle``, e.g. ``x:@CollectorAhd``."""

    platform: Platform
    handle: str

    @property
    def key(self) -> str:
        """The handle as the registry compares it: case and a leading ``@`` do not matter."""
        return handle_key(self.handle)

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.handle}"

    @classmethod
    def parse(cls, value: str) -> AccountRef:
        platform, sep, handle = value.strip().partition(":")
        if not sep or not handle:
            raise InvalidInputError(
                f"account {value!r} is not 'platform:handle' (for example x:@CollectorAhd)"
            )
        parsed = parse_platform(platform)
        return cls(parsed, check_handle(parsed, handle.strip()))


def check_handle(platform: Platform, handle: str) -> str:
    """``handle`` if it is one ``platform`` could have, else :class:`InvalidInputError`."""
    bare = handle[1:] if handle.startswith("@") else handle
    if not 0 < len(handle) <= HANDLE_MAX or not bare:
        raise InvalidInputError(f"a handle is 1-{HANDLE_MAX} characters, no spaces or ':'")
    rule = HANDLE_CHARS.get(platform.value)
    if rule is not None:
        if not rule[0].fullmatch(bare):
            raise InvalidInputError(
                f"{platform.value} handle {handle!r}: use {rule[1]} (no spaces, no look-alike "
                "or invisible characters)"
            )
        return handle
    if ":" in bare or any(not ch.isprintable() or ch.isspace() for ch in bare):
        raise InvalidInputError(
            f"handle {handle!r}: no spaces, ':' or invisible characters (1-{HANDLE_MAX} characters)"
        )
    return handle


# Scripts whose letters pass for one another (Latin "o", Cyrillic "о", Greek "ο").
LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})
INVISIBLE_KEPT = frozenset({"\u200c", "\u200d"})  # joiners that Indic scripts need


def suspicious_text(text: str) -> str | None:
    """Why a name, title or handle could deceive a reader, or ``None``: a word that mixes
    look-alike scripts (a Cyrillic "о" in a Latin name), or an invisible or direction-changing
    character."""
    if text.isascii() and text.isprintable():
        return None  # one script, nothing invisible: most handles and slugs, decided in C
    import unicodedata

    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in INVISIBLE_KEPT:
            return f"it holds an invisible or direction-changing character (U+{ord(ch):04X})"
    for word in re.findall(r"\w+", text):
        scripts = {
            unicodedata.name(ch, "?").split(" ", 1)[0] for ch in word if ch.isalpha()
        } & LOOKALIKE_SCRIPTS
        if len(scripts) > 1:
            return f"the word {word!r} mixes {' and '.join(sorted(scripts)).lower()} letters"
    return None


def N_(text: str) -> str:
    """Mark ``text`` for the interfaces' message catalogs; the core keeps it in English, and an
    interface translates it where it shows it."""
    return text


def handle_key(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)  # a record, or anything else that writes itself
    if to_dict is not None:
        return to_dict()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def redacted(record: Any, *secret: str) -> str:
    """The repr of a named-tuple record with the values of its ``secret`` fields left out: a
    traceback, a log line or a debugger that shows the record must not show them."""
    shown = (
        f"{name}=<secret>" if name in secret else f"{name}={value!r}"
        for name, value in zip(record._fields, record, strict=True)
    )
    return f"{type(record).__name__}({', '.join(shown)})"


def as_dict(record: Any) -> dict[str, Any]:
    """A named-tuple record as a JSON-ready dict, field by field: what the ``to_dict`` of each
    record returns, here and in other modules (for ``--json`` and packets)."""
    return {name: _plain(value) for name, value in zip(record._fields, record, strict=True)}


class Role(NamedTuple):
    """A page role: who holds it on which account's page or channel, from when, until when."""

    account: str
    holder: str  # an officer id, or "post:SLUG"
    role: str
    since: dt.date
    until: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Tenure(NamedTuple):
    """An officer's time in a post: from the day of assignment until relieved (or still)."""

    post: str
    officer: str
    officer_name: str
    start_date: dt.date
    end_date: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Post(NamedTuple):
    """An official position: the owner of accounts, with its official email and phone, and
    who holds it now."""

    id: uuid.UUID
    slug: str
    title: str
    department: str | None
    level: Level
    district: str | None
    email: str | None
    phone: str | None
    holder: str | None = None
    holder_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Officer(NamedTuple):
    """A person who holds posts, known by a service id; their own contacts, and their posts."""

    id: uuid.UUID
    service_id: str
    name: str
    grade: str | None
    email: str | None
    phone: str | None
    posts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class VerificationChange(NamedTuple):
    """One change of an account's platform verification, with its evidence and who recorded
    it."""

    from_status: Status | None
    to_status: Status
    on_date: dt.date
    evidence: str | None
    recorded_at: dt.datetime
    recorded_by: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Override(NamedTuple):
    """A contact accepted on an official account although it is not official, and why."""

    field: ContactField
    value: str
    reason: str
    recorded_at: dt.datetime
    recorded_by: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Credentials(NamedTuple):
    """When each secret was last set, and whether a rotation is due; never the secrets.

    ``state`` says where the current password is: ``held`` in this registry, ``escrowed`` (its
    holder rotated it and it reached the department's escrow, see ``escrowed_by``), or
    ``missing``.
    """

    password_changed_at: dt.datetime | None
    totp_changed_at: dt.datetime | None
    recovery_codes_changed_at: dt.datetime | None
    notes_changed_at: dt.datetime | None
    rotation_due_at: dt.datetime | None
    rotation_reason: str | None
    state: str = "missing"
    escrowed_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Account(NamedTuple):
    """A social media account: its post or officer, contacts, 2FA, platform verification,
    when its secrets were set (never the secrets), and its history."""

    id: uuid.UUID
    ref: str
    platform: Platform
    handle: str
    url: str | None
    post: str | None
    officer: str | None
    kind: AccountKind
    disclaimer: bool | None
    login_email: str | None
    login_phone: str | None
    recovery_email: str | None
    recovery_phone: str | None
    twofa_method: TwoFactor
    twofa_phone: str | None
    twofa_holder: str | None
    verification: Status
    verification_date: dt.date | None
    credentials: Credentials
    history: tuple[VerificationChange, ...] = ()
    overrides: tuple[Override, ...] = ()
    former_handles: tuple[str, ...] = ()  # before renames: they still find the account
    archived: str | None = None  # why it was archived (a page closed), when it was

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Group(NamedTuple):
    """A WhatsApp (or other) group, its level and district, and the posts that administer it."""

    id: uuid.UUID
    slug: str
    name: str
    platform: Platform
    level: Level
    district: str | None
    department: str | None
    admins: tuple[str, ...] = ()
    admin_phones: tuple[str, ...] = ()
    owner: str | None = None  # the whatsapp: (or other) account that owns the group
    invite_link: bool = False  # whether its invite link is sealed in the registry
    archived: str | None = None  # why it was archived, when it was

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)
