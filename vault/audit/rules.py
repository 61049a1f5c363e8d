"""The audit rules. Each is a function that yields findings: ``@account_rule`` over one batch of
accounts as they are read (:class:`Accounts`), ``@rule`` over the whole :class:`Snapshot` once they
have all been read. The decorator gives it an id, a default severity, a title and a remedy, which
``docs/audit.md`` lists.

Severities: ``critical`` — the record cannot be trusted, or an official account is in the hands
of a personal mailbox or phone; ``high`` — an account can be lost or taken over on a transfer;
``medium`` — the circular is not followed; ``low`` — worth knowing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from typing import Any

from vault.audit.model import AccountCheck, Check, Finding, Rule, Severity
from vault.audit.snapshot import Accounts, Snapshot
from vault.crypto import passwords
from vault.model import (
    ESCROW_OPENED,
    AccountKind,
    Level,
    Status,
    TwoFactor,
    is_super_time_scale,
    suspicious_text,
)
from vault.records.accounts import credential_state

# Plain strings: compared once per account per rule, enum attribute lookups add up.
Status_UNVERIFIED, Status_APPLIED, Status_VERIFIED, Status_REJECTED, Status_LAPSED = (
    s.value
    for s in (Status.UNVERIFIED, Status.APPLIED, Status.VERIFIED, Status.REJECTED, Status.LAPSED)
)
TwoFactor_NONE, TwoFactor_SMS, TwoFactor_TOTP, TwoFactor_UNKNOWN = (
    t.value for t in (TwoFactor.NONE, TwoFactor.SMS, TwoFactor.TOTP, TwoFactor.UNKNOWN)
)
AccountKind_OFFICIAL, AccountKind_PERSONAL = AccountKind.OFFICIAL.value, AccountKind.PERSONAL.value
Level_DISTRICT = Level.DISTRICT.value

RULES: list[Rule] = []
CONTACT_FIELDS = ("login_email", "login_phone", "recovery_email", "recovery_phone")


def rule(
    rule_id: str,
    severity: Severity,
    title: str,
    remedy: str,
    *,
    needs_secrets: bool = False,
    each: AccountCheck | None = None,
) -> Callable[[Check], Check]:
    """A rule over the whole registry (and, with ``each``, over each batch of accounts too)."""

    def register(check: Check) -> Check:
        RULES.append(Rule(rule_id, severity, title, remedy, check, each, needs_secrets))
        return check

    return register


def account_rule(
    rule_id: str, severity: Severity, title: str, remedy: str, *, needs_secrets: bool = False
) -> Callable[[AccountCheck], AccountCheck]:
    """A rule over each batch of accounts as they are read (:func:`snapshot.accounts`)."""

    def register(each: AccountCheck) -> AccountCheck:
        RULES.append(Rule(rule_id, severity, title, remedy, None, each, needs_secrets))
        return each

    return register


@account_rule(
    "verification.unverified",
    Severity.MEDIUM,
    "Official account not verified by the platform",
    "apply for verification, then record it: handover account verify ACCOUNT --status applied",
)
def unverified(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.verification in (Status_UNVERIFIED, Status_REJECTED):
            what = (
                "is not verified"
                if a.verification == Status_UNVERIFIED
                else f"was refused verification on {a.verification_date}"
            )
            yield r.finding(
                "account", snap.ref(a), f"{snap.ref(a)} {what}", snap.where_post(a.post_id)
            )


@account_rule(
    "verification.pending",
    Severity.LOW,
    "Verification applied for, not yet granted",
    "follow up with the platform; record the outcome with handover account verify",
)
def pending(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    limit = snap.settings["verification_pending_days"]
    for a in accounts.official:
        if a.verification == Status_APPLIED:
            waited = (snap.today - a.verification_date).days if a.verification_date else 0
            if waited <= limit:
                yield r.finding(
                    "account",
                    snap.ref(a),
                    f"{snap.ref(a)} is not verified yet: applied "
                    f"{a.verification_date or 'on an unknown date'}",
                    snap.where_post(a.post_id),
                )


@account_rule(
    "verification.overdue",
    Severity.MEDIUM,
    "Verification applied for and pending longer than verification_pending_days (30)",
    "chase the application with the platform, or apply again",
)
def overdue(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    limit = snap.settings["verification_pending_days"]
    for a in accounts.official:
        if a.verification == Status_APPLIED and a.verification_date:
            waited = (snap.today - a.verification_date).days
            if waited > limit:
                yield r.finding(
                    "account",
                    snap.ref(a),
                    f"{snap.ref(a)} has waited {waited} days for verification "
                    f"(applied {a.verification_date})",
                    snap.where_post(a.post_id),
                )


@account_rule(
    "verification.lapsed",
    Severity.HIGH,
    "Platform verification lapsed",
    "find out why (handle or name change, inactivity) and apply again",
)
def lapsed(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.verification == Status_LAPSED:
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)} lost its verification on {a.verification_date}",
                snap.where_post(a.post_id),
            )


def _flagged(
    accounts: Accounts, names: tuple[str, ...], flag: Callable[[str], bool]
) -> list[tuple[Any, list[tuple[str, str]]]]:
    """The official accounts of a batch with a contact (of ``names``) that ``flag`` picks, each
    with those contacts in the order of ``names``. ``flag`` is asked once per distinct value, and
    a batch where it picks none (the usual case) looks at no account twice."""
    of = attrgetter(*names)
    picked = {v for v in {v for a in accounts.official for v in of(a) if v} if flag(v)}
    if not picked:
        return []
    found = []
    for a in accounts.official:
        hits = [(n, v) for n, v in zip(names, of(a), strict=True) if v in picked]
        if hits:
            found.append((a, hits))
    return found


def _not_official(snap: Snapshot, accounts: Accounts) -> list[tuple[Any, list[Any]]]:
    """The official accounts of a batch whose login or recovery contacts are not official, each
    with those contacts and the reason recorded for accepting each (or ``None``); worked out
    once for the two rules."""
    found: list[tuple[Any, list[Any]]] | None = accounts.memo.get("not_official")
    if found is None:
        found = accounts.memo["not_official"] = [
            (a, [(n, v, snap.overrides.get(a.id, {}).get((n, v))) for n, v in contacts])
            for a, contacts in _flagged(
                accounts, CONTACT_FIELDS, lambda v: not snap.official.is_official(v)
            )
        ]
    return found


@account_rule(
    "contact.personal",
    Severity.CRITICAL,
    "Login or recovery contact of an official account is not official",
    "change it on the platform to the post's official email or phone, then "
    "handover account edit ACCOUNT --login-email ...",
)
def personal_contact(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a, contacts in _not_official(snap, accounts):
        for name, value, reason in contacts:
            if reason is None:
                yield r.finding(
                    "account",
                    snap.ref(a),
                    f"{snap.ref(a)}: {name.replace('_', ' ')} {value} is not official",
                    snap.where_post(a.post_id),
                )


@account_rule(
    "contact.officer-own",
    Severity.HIGH,
    "An official account logs in or recovers with an officer's own email or phone, which leave "
    "with the officer on transfer",
    "move it to the post's official email and mobile on the platform, then handover account "
    "edit ACCOUNT --login-email POST-EMAIL --login-phone POST-MOBILE",
)
def officer_own_contact(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    own = _officers_own(snap)
    for a, contacts in _flagged(
        accounts, (*CONTACT_FIELDS, "twofa_phone"), lambda v: v.lower() in own
    ):
        for name, value in contacts:
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: {name.replace('_', ' ')} {value} is {own[value.lower()]}'s own, "
                "not the post's",
                snap.where_post(a.post_id),
            )


def _officers_own(snap: Snapshot) -> dict[str, str]:
    """Officers' own emails and phones (those no post also has), lower-cased, to the officer's
    service id: worked out once, for every batch of accounts."""
    found: dict[str, str] | None = snap.memo.get("officers_own")
    if found is None:
        posts_own = {v.lower() for p in snap.posts.values() for v in (p.email, p.phone) if v}
        found = snap.memo["officers_own"] = {
            v.lower(): o.service_id
            for o in snap.officers.values()
            for v in (o.email, o.phone)
            if v and v.lower() not in posts_own
        }
    return found


@account_rule(
    "contact.override",
    Severity.HIGH,
    "Non-official contact accepted with a recorded reason (--allow-personal)",
    "move the account to the post's official contacts when the reason no longer holds",
)
def override_contact(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a, contacts in _not_official(snap, accounts):
        for name, value, reason in contacts:
            if reason is not None:
                yield r.finding(
                    "account",
                    snap.ref(a),
                    f"{snap.ref(a)}: {name.replace('_', ' ')} {value} is not "
                    f"official (accepted: {reason})",
                    snap.where_post(a.post_id),
                )


@account_rule(
    "2fa.none",
    Severity.HIGH,
    "Official account without two-factor authentication",
    "turn on 2FA with an authenticator (seal the seed: handover account set-totp ACCOUNT)",
)
def no_twofa(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.twofa_method == TwoFactor_NONE:
            yield r.finding(
                "account", snap.ref(a), f"{snap.ref(a)} has no 2FA", snap.where_post(a.post_id)
            )


@account_rule(
    "2fa.unknown",
    Severity.MEDIUM,
    "How an official account's 2FA is done is not recorded",
    "record it: handover account edit ACCOUNT --2fa totp|sms|hardware-key|none",
)
def unknown_twofa(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.twofa_method == TwoFactor_UNKNOWN:
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: 2FA is not recorded",
                snap.where_post(a.post_id),
            )


@account_rule(
    "2fa.sms-not-official",
    Severity.HIGH,
    "SMS 2FA goes to a number that is not the post's official phone",
    "move SMS 2FA to the post's official mobile, or better, to an authenticator",
)
def sms_not_official(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.twofa_method != TwoFactor_SMS:
            continue
        post = snap.posts.get(a.post_id) if a.post_id else None
        wanted = post.phone if post is not None else None
        if a.twofa_phone is None or a.twofa_phone != wanted:
            to = a.twofa_phone or "an unrecorded number"
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: SMS codes go to {to}, not the post's phone "
                f"({wanted or 'none recorded'})",
                snap.where_post(a.post_id),
            )


@account_rule(
    "2fa.totp-outside",
    Severity.MEDIUM,
    "TOTP seed held outside the registry",
    "re-enrol the authenticator and seal the new seed: handover account set-totp ACCOUNT",
)
def totp_outside(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.twofa_method == TwoFactor_TOTP and not a.has_totp:
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: the authenticator seed is not in the registry "
                "(it leaves with whoever holds the phone)",
                snap.where_post(a.post_id),
            )


ROTATE_REMEDY = (
    "the holder changes the password on the platform and records it (handover account rotate "
    "ACCOUNT); in the IT cell's registry their rotation report clears it (handover packet "
    "receipt REPORT)"
)


@account_rule(
    "rotation.overdue",
    Severity.HIGH,
    "Credentials not rotated by the deadline after a handover",
    ROTATE_REMEDY,
)
def rotation_overdue(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.rows:
        if a.rotation_due_at is not None and a.rotation_due_at < snap.now and not _escrow_opened(a):
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: rotation was due {a.rotation_due_at:%Y-%m-%d} "
                f"({a.rotation_reason})",
                snap.where_post(a.post_id),
            )


@account_rule(
    "rotation.due",
    Severity.LOW,
    "Credentials due for rotation after a handover",
    ROTATE_REMEDY,
)
def rotation_due(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.rows:
        if (
            a.rotation_due_at is not None
            and a.rotation_due_at >= snap.now
            and not _escrow_opened(a)
        ):
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: rotate by {a.rotation_due_at:%Y-%m-%d} ({a.rotation_reason})",
                snap.where_post(a.post_id),
            )


def _escrow_opened(account: Any) -> bool:
    return bool(account.rotation_reason) and account.rotation_reason.startswith(ESCROW_OPENED)


@account_rule(
    "escrow.opened",
    Severity.CRITICAL,
    "Credentials opened from escrow (break-glass) and not yet rotated",
    "change the password on the platform at once, then handover account rotate ACCOUNT; "
    "find out why the holder could not act",
)
def escrow_opened(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.rows:
        if a.rotation_due_at is not None and _escrow_opened(a):
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: {a.rotation_reason}; rotate by {a.rotation_due_at:%Y-%m-%d}",
                snap.where_post(a.post_id),
            )


@account_rule(
    "credential.stale",
    Severity.MEDIUM,
    "Password unchanged for longer than credential_max_age_days (365)",
    "change the password on the platform, then handover account rotate ACCOUNT",
)
def stale(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    limit = dt.timedelta(days=snap.settings["credential_max_age_days"])
    for a in accounts.official:
        if a.password_changed_at is not None and snap.now - a.password_changed_at > limit:
            days = (snap.now - a.password_changed_at).days
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: password unchanged for {days} days",
                snap.where_post(a.post_id),
            )


@account_rule(
    "credential.missing",
    Severity.LOW,
    "Official account whose password is neither in the registry nor escrowed",
    "seal it so that it can be handed over: handover account set-password ACCOUNT (or have the "
    "holder send a rotation report, which escrows it)",
)
def missing_password(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if credential_state(a) == "missing":
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: no password in the registry or in escrow",
                snap.where_post(a.post_id),
            )


@rule(
    "password.reused",
    Severity.HIGH,
    "The same password on several accounts",
    "give each account its own password, then handover account rotate ACCOUNT",
    needs_secrets=True,
)
def reused(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for group in snap.shared_passwords.values():
        refs = sorted(ref for ref, _post in group)
        for ref, post_id in group:
            yield r.finding(
                "account",
                ref,
                f"{ref} shares its password with {_others(refs, ref)}",
                snap.where_post(post_id),
            )


def _post_words(snap: Snapshot) -> dict[Any, tuple[str, ...]]:
    """The words of each post's slug and district, which its accounts' passwords must not hold:
    split once per post, not once per account."""
    found: dict[Any, tuple[str, ...]] | None = snap.memo.get("post_words")
    if found is None:
        found = snap.memo["post_words"] = {
            p.id: (*passwords.words_of(p.slug), *passwords.words_of(p.district or ""))
            for p in snap.posts.values()
        }
    return found


# How many accounts of a reuse group a finding names: each member has a finding of its own, so
# naming every other member in each would make the report grow with the square of the group.
NAMED = 5


def _others(refs: list[str], ref: str) -> str:
    """The members of a sorted reuse group other than ``ref`` (each account is in it once): the
    first ``NAMED`` by name, "and N more" for the rest. Only the first ``NAMED + 1`` are looked
    at, so a group costs its size, not its square (one group of 1,000 accounts sharing a
    password was 28 ms)."""
    named = [x for x in refs[: NAMED + 1] if x != ref][:NAMED]
    more = len(refs) - 1 - NAMED
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


@account_rule(
    "password.weak",
    Severity.HIGH,
    "A password an attacker would guess: short, of one kind of character, a run like 1234, or a "
    "name anyone would try (the handle, the post, the district, 'password')",
    "make a strong one: handover account rotate ACCOUNT --generate (then set it on the platform)",
    needs_secrets=True,
)
def weak(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    post_words = _post_words(snap)
    opened = accounts.passwords
    for a in accounts.rows:
        password = opened.get(a.id)
        if password is None:
            continue
        why = passwords.weakness(password, (a.handle,), words=post_words.get(a.post_id, ()))
        if why:
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: the password is weak ({why})",
                snap.where_post(a.post_id),
            )


@account_rule(
    "role.stale",
    Severity.HIGH,
    "A page role held in person by an officer who does not hold the page's post (left it, or "
    "never did)",
    "remove the role on the platform, then handover account role end ACCOUNT --officer ID "
    "--role ROLE",
)
def stale_role(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    in_person = _roles_in_person(snap)
    for a in accounts.rows:
        roles = in_person.get(a.id)
        if not roles or a.post_id is None:
            continue
        holder = snap.holders.get(a.post_id)
        for role in roles:
            if holder is not None and holder.id == role.officer_id:
                continue
            officer = snap.officers.get(role.officer_id)
            who = officer.service_id if officer is not None else "a retired officer"
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)}: {who} is still {role.role}, and does not hold "
                f"{snap.posts[a.post_id].slug if a.post_id in snap.posts else 'the post'}",
                snap.where_post(a.post_id),
            )


def _roles_in_person(snap: Snapshot) -> dict[Any, list[Any]]:
    """The open page roles held by an officer in person, by account: worked out once."""
    found: dict[Any, list[Any]] | None = snap.memo.get("roles_in_person")
    if found is None:
        found = snap.memo["roles_in_person"] = {}
        for role in snap.roles:
            if role.officer_id is not None:
                found.setdefault(role.account_id, []).append(role)
    return found


@rule(
    "group.admin-phone",
    Severity.HIGH,
    "A group's admin number that is no longer any post's official number",
    "make the post's official number admin in the group and remove the old one, then "
    "handover group admins SLUG --add-phone NEW --remove-phone OLD",
)
def stale_admin_phone(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    post_phones = {p.phone for p in snap.posts.values() if p.phone}
    for g in snap.groups:
        for phone in snap.admin_phones.get(g.id, []):
            if phone not in post_phones:
                yield r.finding(
                    "group",
                    g.slug,
                    f"group {g.slug}: admin number {phone} is not any post's official number",
                    _group_where(g),
                )


@rule(
    "post.vacant",
    Severity.HIGH,
    "Vacant post that owns accounts",
    "assign a holder (handover officer assign OFFICER POST) and hand the accounts over",
)
def vacant(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for post_id, count in snap.owning.items():
        if post_id not in snap.holders:
            post = snap.posts[post_id]
            yield r.finding(
                "post",
                post.slug,
                f"{post.slug} is vacant and owns {count} account(s)",
                snap.where_post(post_id),
            )


@account_rule(
    "account.orphan",
    Severity.HIGH,
    "Official account with no owning post",
    "give it a post: handover account edit ACCOUNT --post POST",
)
def orphan(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.official:
        if a.post_id is None:
            yield r.finding("account", snap.ref(a), f"{snap.ref(a)} belongs to no post")


@rule(
    "post.unrecorded-handover",
    Severity.HIGH,
    "The post's holder changed with no handover recorded",
    "have the previous holder make a packet (handover packet create) and the new holder "
    "claim it, or record the receipt; then rotate every credential",
)
def unrecorded_handover(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for post_id in snap.owning:
        history = snap.tenures.get(post_id, [])
        recorded = {
            c.to_officer
            for c in snap.custody.get(post_id, [])
            if c.direction != "sent" or c.completed_at is not None
        }
        for earlier, later in itertools.pairwise(history):
            officer = snap.officers[later.officer_id]
            if officer.service_id not in recorded:
                before = snap.officers[earlier.officer_id].service_id
                yield r.finding(
                    "post",
                    snap.posts[post_id].slug,
                    f"{snap.posts[post_id].slug} passed from {before} to "
                    f"{officer.service_id} on {later.start_date} with no handover "
                    "recorded",
                    snap.where_post(post_id),
                )


@account_rule(
    "personal.no-disclaimer",
    Severity.MEDIUM,
    "Personal account without the 'views are my own' disclaimer",
    "add the disclaimer to the profile, then handover account edit ACCOUNT --disclaimer",
)
def no_disclaimer(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    for a in accounts.rows:
        if a.kind == AccountKind_PERSONAL and not a.disclaimer:
            officer = snap.officers.get(a.officer_id) if a.officer_id else None
            held = snap.held_by.get(a.officer_id, []) if a.officer_id else []
            yield r.finding(
                "account",
                snap.ref(a),
                f"{snap.ref(a)} ({officer.service_id if officer else 'no officer'})"
                " does not say the views are the officer's own",
                snap.where_post(held[0].id) if held else (None, None, None),
            )


def _officer_where(snap: Snapshot, officer_id: Any) -> tuple[str | None, str | None, str | None]:
    held = snap.held_by.get(officer_id, [])
    return snap.where_post(held[0].id) if held else (None, None, None)


@rule(
    "officer.no-mobile",
    Severity.MEDIUM,
    "Officer of super time scale or above without an official mobile",
    "record their official mobile: handover officer edit OFFICER --phone ...",
)
def no_mobile(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for officer in snap.officers.values():
        if is_super_time_scale(officer.grade) and not officer.phone:
            yield r.finding(
                "officer",
                officer.service_id,
                f"{officer.service_id} ({officer.grade}) has no official mobile",
                _officer_where(snap, officer.id),
            )


@rule(
    "officer.no-identity",
    Severity.LOW,
    "Officer with no identity keys, who cannot receive a handover packet",
    "the officer runs handover identity create, and the registry imports their card",
)
def no_identity(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for officer in snap.officers.values():
        if officer.id not in snap.identities:
            yield r.finding(
                "officer",
                officer.service_id,
                f"{officer.service_id} has no identity keys",
                _officer_where(snap, officer.id),
            )


@rule(
    "district.no-group",
    Severity.MEDIUM,
    "District without a district-level group",
    "start the district's group and register it: handover group add ... --level district",
)
def district_without_group(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    districts = {
        p.district.strip(): p
        for p in snap.posts.values()
        if p.level == Level_DISTRICT and p.district
    }
    covered = {
        g.district.strip().lower() for g in snap.groups if g.level == Level_DISTRICT and g.district
    }
    for name in sorted(districts):
        if name.lower() not in covered:
            yield r.finding(
                "district",
                name,
                f"district {name} has no district-level group",
                (Level_DISTRICT, name, None),
            )


def _group_where(g: Any) -> tuple[str | None, str | None, str | None]:
    return (g.level, g.district, None)


@rule(
    "group.no-admin",
    Severity.HIGH,
    "Group with no official admin post",
    "make a post its admin: handover group admins GROUP --add POST",
)
def group_without_admin(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for g in snap.groups:
        if not snap.admins.get(g.id):
            yield r.finding("group", g.slug, f"group {g.slug} has no admin post", _group_where(g))


@rule(
    "group.admin-vacant",
    Severity.MEDIUM,
    "Group whose admin post is vacant",
    "assign a holder to the post, or make another post admin",
)
def group_admin_vacant(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for g in snap.groups:
        for post_id in snap.admins.get(g.id, []):
            if post_id not in snap.holders:
                yield r.finding(
                    "group",
                    g.slug,
                    f"group {g.slug}: admin post {snap.posts[post_id].slug} is vacant",
                    _group_where(g),
                )


@rule(
    "transfer.overdue",
    Severity.HIGH,
    "Transfer order past its effective date without a completed handover",
    "the officer makes the post's packet (handover packet create), the successor claims it, "
    "and the receipt comes back (handover packet receipt)",
)
def transfer_overdue(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    posts = {p.slug: p.id for p in snap.posts.values()}
    for line in snap.transfers:
        if line.overdue and not line.receipt_back:
            yield r.finding(
                "transfer",
                f"{line.order_no}/{line.officer}",
                f"order {line.order_no}: {line.officer} was to leave "
                f"{line.from_post} by {line.effective_date}; handover: {line.state}",
                snap.where_post(posts.get(line.from_post or "")),
            )


@rule(
    "log.broken",
    Severity.CRITICAL,
    "The event log's hash chain or a checkpoint is broken",
    "treat the registry as tampered with: compare it with a backup and the IT cell's "
    "checkpoint files (handover log verify --checkpoint FILE)",
)
def log_broken(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    if snap.log.first_break is not None:
        yield r.finding("log", f"entry {snap.log.first_break.seq}", snap.log.first_break.reason)


def confusable_handles(snap: Snapshot, r: Rule, accounts: Accounts) -> Iterator[Finding]:
    return _confusable(snap, r, "account", accounts.rows, attrgetter("handle"))


@rule(
    "text.confusable",
    Severity.HIGH,
    "A name, title or handle that can pass for another (look-alike scripts, invisible characters)",
    "check it against the real one; correct the record (handover officer edit, post edit, "
    "account edit) or, if a card or packet brought it, ask its sender",
    each=confusable_handles,
)
def confusable(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    yield from _confusable(snap, r, "officer", snap.officers.values(), attrgetter("name"))
    yield from _confusable(snap, r, "post", snap.posts.values(), attrgetter("title"))
    yield from _confusable(snap, r, "group", snap.groups, attrgetter("name"))


def _confusable(
    snap: Snapshot, r: Rule, kind: str, records: Iterable[Any], text_of: Callable[[Any], str]
) -> Iterator[Finding]:
    for record in records:
        why = suspicious_text(text_of(record) or "")
        if why:
            obj, where = _identified(snap, kind, record)
            yield r.finding(kind, obj, f"{kind} {obj}: {why}", where)


def _identified(
    snap: Snapshot, kind: str, record: Any
) -> tuple[str, tuple[str | None, str | None, str | None]]:
    """A record's name and where it is, looked up only for a finding (most records have none)."""
    if kind == "officer":
        return record.service_id, _officer_where(snap, record.id)
    if kind == "post":
        return record.slug, snap.where_post(record.id)
    if kind == "group":
        return record.slug, _group_where(record)
    return snap.ref(record), snap.where_post(record.post_id)


@rule(
    "log.time-order",
    Severity.HIGH,
    "Event log entries dated before the entry they follow",
    "find out who set the clock back, or edited the registry (handover log list); compare "
    "with a backup",
)
def log_time_order(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    if snap.log.back_in_time:
        yield r.finding(
            "log",
            f"entry {snap.log.first_back_in_time}",
            f"{snap.log.back_in_time} log entries are dated before the entry they follow, the "
            f"first at entry {snap.log.first_back_in_time}",
        )


@rule(
    "clock.overridden",
    Severity.HIGH,
    "Changes recorded with the clock overridden (HANDOVER_NOW)",
    "HANDOVER_NOW is for tests and demonstrations: unset it on a registry in use, and check "
    "the entries it dated (handover log list)",
)
def clock_overridden(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    if snap.log.clock_overrides:
        last = snap.log.last_override
        yield r.finding(
            "log",
            "clock",
            f"{snap.log.clock_overrides} log entries were made with the clock overridden, "
            f"the last dated {last:%Y-%m-%d %H:%M} UTC"
            if last
            else "",
        )


@rule(
    "escrow.none",
    Severity.HIGH,
    "No escrow: the department keeps no recoverable copy of handed-over credentials",
    "make the department's escrow identity and keep it offline: handover escrow new-identity "
    "-o FILE",
)
def no_escrow(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    if not snap.escrow:
        yield r.finding(
            "registry",
            "escrow",
            "no escrow recipient: packets and rotation reports are encrypted to their "
            "recipient only",
        )


@rule(
    "identity.replaced",
    Severity.HIGH,
    "An officer's keys were replaced in the last 90 days",
    "confirm with the officer, by phone or in person, that they made the new keys (read the "
    "safety code); if not, their packets and receipts since then are forged",
)
def key_replaced(snap: Snapshot, r: Rule) -> Iterator[Finding]:
    for event in snap.replacements:
        details = event.details_parsed
        yield r.finding(
            "officer",
            event.object_ref or "?",
            f"{event.object_ref}'s keys were replaced on {event.at:%Y-%m-%d} "
            f"({details.get('reason')}; confirmed: {details.get('confirmed')})",
        )
