"""``handover account`` and ``handover totp``: accounts, contacts, verification and secrets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag, secret_option

if TYPE_CHECKING:
    from vault.model import Account
    from vault.records.account_changes import AccountFields
    from vault.records.credentials import Secrets

app = context.sub_app(
    "Accounts: each social media account, the post that owns it, its login and recovery "
    "contacts, 2FA, platform verification and sealed secrets. Accounts are named "
    "platform:handle, e.g. x:@CollectorAhd or facebook:collectorahd."
)

Ref = Annotated[
    str,
    typer.Argument(
        help="The account, as platform:handle (e.g. x:@CollectorAhd).", metavar="ACCOUNT"
    ),
]
Post = Annotated[str | None, typer.Option("--post", help="The post that owns the account.")]
Officer = Annotated[
    str | None, typer.Option("--officer", help="For a personal account: the officer it belongs to.")
]
Kind = Annotated[
    str | None,
    typer.Option("--kind", help="official (the post's; default) or personal (an officer's own)."),
]
Url = Annotated[str | None, typer.Option("--url", help="Profile URL.")]
Disclaimer = Annotated[
    bool | None,
    typer.Option(
        "--disclaimer/--no-disclaimer",
        help="Whether a personal account shows the 'views are my own' disclaimer.",
    ),
]
LoginEmail = Annotated[str | None, typer.Option("--login-email", help="Email used to log in.")]
LoginPhone = Annotated[str | None, typer.Option("--login-phone", help="Phone used to log in.")]
RecoveryEmail = Annotated[str | None, typer.Option("--recovery-email", help="Recovery email.")]
RecoveryPhone = Annotated[str | None, typer.Option("--recovery-phone", help="Recovery phone.")]
TwoFa = Annotated[
    str | None,
    typer.Option("--2fa", help="How 2FA is done: none, sms, totp, hardware-key or unknown."),
]
TwoFaPhone = Annotated[str | None, typer.Option("--2fa-phone", help="Number SMS codes go to.")]
TwoFaHolder = Annotated[
    str | None,
    typer.Option(
        "--2fa-holder",
        help="Where 2FA is held when not in the registry (e.g. 'hardware key in "
        "the IT cell safe').",
    ),
]
AllowPersonal = Annotated[
    str | None,
    typer.Option(
        "--allow-personal",
        metavar="REASON",
        help="Accept a non-official contact on an official account, recording this reason.",
    ),
]

LIST_COLUMNS = [
    ("ref", "account"),
    ("post", "post"),
    ("kind", "kind"),
    ("verification", "verification"),
    ("login_email", "login email"),
    ("login_phone", "login phone"),
    ("twofa_method", "2fa"),
    ("rotation_due_at", "rotation due"),
]


def _fields(
    post: str | None,
    officer: str | None,
    kind: str | None,
    url: str | None,
    disclaimer: bool | None,
    login_email: str | None,
    login_phone: str | None,
    recovery_email: str | None,
    recovery_phone: str | None,
    twofa: str | None,
    twofa_phone: str | None,
    twofa_holder: str | None,
    allow_personal: str | None,
) -> AccountFields:
    from vault.records.account_changes import AccountFields

    return AccountFields(
        post,
        officer,
        kind,
        url,
        disclaimer,
        login_email,
        login_phone,
        recovery_email,
        recovery_phone,
        twofa,
        twofa_phone,
        twofa_holder,
        allow_personal,
    )


def _print(
    account: Account,
    json_: bool,
    secrets: Secrets | None = None,
    page_roles: list[dict[str, object]] | None = None,
) -> None:
    data = account.to_dict()
    if json_:
        if secrets is not None:
            data["secrets"] = secrets.to_dict()
        if page_roles is not None:
            data["roles"] = page_roles
        output.json_value(data)
        return
    history = data.pop("history")
    overrides = data.pop("overrides")
    credentials = data.pop("credentials")
    state, by = credentials.pop("state"), credentials.pop("escrowed_by")
    data.update(credentials)
    data["credential"] = {
        "held": "held here (sealed in this registry)",
        "escrowed": f"escrowed (rotated {str(credentials['password_changed_at'])[:10]} by {by})",
        "missing": "missing (neither held here nor escrowed)",
    }[state]
    data.pop("id")
    output.fields(data.items())
    if page_roles:
        typer.echo("\nPage roles:")
        output.table(page_roles, [("holder", "held by"), ("role", "role"), ("since", "since")])
    typer.echo("\nVerification history:")
    output.table(
        history,
        [
            ("on_date", "date"),
            ("from_status", "from"),
            ("to_status", "to"),
            ("evidence", "evidence"),
            ("recorded_by", "recorded by"),
        ],
    )
    if overrides:
        typer.echo("\nNon-official contacts accepted:")
        output.table(
            overrides,
            [
                ("field", "field"),
                ("value", "value"),
                ("reason", "reason"),
                ("recorded_by", "recorded by"),
                ("recorded_at", "when"),
            ],
        )
    if secrets is not None:
        typer.echo("\nSecrets:")
        seed = secrets.totp
        output.fields(
            [
                ("password", secrets.password),
                ("totp seed", seed["secret"] if seed else None),
                ("totp uri", seed["uri"] if seed else None),
                ("recovery codes", secrets.recovery_codes),
                ("notes", secrets.notes),
            ]
        )


@app.command("add")
def add(
    ref: Ref,
    post: Post = None,
    officer: Officer = None,
    kind: Kind = None,
    url: Url = None,
    disclaimer: Disclaimer = None,
    login_email: LoginEmail = None,
    login_phone: LoginPhone = None,
    recovery_email: RecoveryEmail = None,
    recovery_phone: RecoveryPhone = None,
    twofa: TwoFa = None,
    twofa_phone: TwoFaPhone = None,
    twofa_holder: TwoFaHolder = None,
    allow_personal: AllowPersonal = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Verification state it is in now (default unverified)."),
    ] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="Evidence for --status.")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Register an account. Official accounts must use official contacts.

    A login or recovery contact that is not official (a gmail.com address, a mobile that is
    not registered to a post or officer) is refused unless --allow-personal gives a reason,
    which is recorded and still reported by the audit.

    \b
    Examples:
      handover account add x:@CollectorAhd --post collector-ahmedabad \\
          --login-email collector.ahd@gujarat.gov.in --login-phone +919978400001
      handover account add facebook:collectorahd --post collector-ahmedabad \\
          --login-email someone@gmail.com --allow-personal "legacy page, moving to official"
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import account_changes

    with context.registry() as reg:
        account = account_changes.add(
            reg,
            ref,
            _fields(
                post,
                officer,
                kind,
                url,
                disclaimer,
                login_email,
                login_phone,
                recovery_email,
                recovery_phone,
                twofa,
                twofa_phone,
                twofa_holder,
                allow_personal,
            ),
            status,
            evidence,
        )
    _print(account, json_)


@app.command("edit")
def edit(
    ref: Ref,
    post: Post = None,
    officer: Officer = None,
    kind: Kind = None,
    url: Url = None,
    disclaimer: Disclaimer = None,
    login_email: LoginEmail = None,
    login_phone: LoginPhone = None,
    recovery_email: RecoveryEmail = None,
    recovery_phone: RecoveryPhone = None,
    twofa: TwoFa = None,
    twofa_phone: TwoFaPhone = None,
    twofa_holder: TwoFaHolder = None,
    allow_personal: AllowPersonal = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Change an account's owner, contacts or 2FA; an option given as "" clears it.

    \b
    Example:
      handover account edit facebook:collectorahd --login-email collector.ahd@gujarat.gov.in
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import account_changes

    with context.registry() as reg:
        account = account_changes.edit(
            reg,
            ref,
            _fields(
                post,
                officer,
                kind,
                url,
                disclaimer,
                login_email,
                login_phone,
                recovery_email,
                recovery_phone,
                twofa,
                twofa_phone,
                twofa_holder,
                allow_personal,
            ),
        )
    _print(account, json_)


@app.command("list")
def list_(
    post: Post = None,
    district: Annotated[
        str | None, typer.Option("--district", help="Only accounts of posts in this district.")
    ] = None,
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="x, facebook, instagram, youtube, whatsapp, ..."),
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="Verification state.")] = None,
    kind: Kind = None,
    archived: Annotated[
        bool, typer.Option("--archived", help="Also archived accounts (closed pages).")
    ] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List accounts (no secrets), filtered by post, district, level, platform or state.

    \b
    Examples:
      handover account list --district Ahmedabad
      handover account list --status unverified --json
    """
    from vault.records import accounts

    fmt = context.out_format(json_, fmt, csv=True)
    filters = accounts.Filters(post, district, level, platform, status, kind, archived)
    with context.registry() as reg:
        if fmt is output.Format.JSON:
            output.json_texts(accounts.json_listing(reg, filters))
        else:
            found = accounts.iter_listing(reg, filters, table=True)
            output.rows((r._asdict() for r in found), LIST_COLUMNS, fmt)


@app.command("show")
def show(
    ref: Ref,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Also print the secrets (unlocks the registry).")
    ] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Show an account, its verification history and accepted overrides; --reveal adds secrets.

    \b
    Examples:
      handover account show x:@CollectorAhd
      handover account show x:@CollectorAhd --reveal --json
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import accounts

    with context.registry() as reg:
        secrets = None
        if reveal:
            from vault.records import credentials, roles

            account, secrets = credentials.reveal(reg, ref)
            held = roles.listing(reg, ref)
        else:
            account, held = accounts.show(reg, ref)
    _print(account, json_, secrets, [r.to_dict() for r in held])


@app.command("verify")
def verify(
    ref: Ref,
    status: Annotated[
        str, typer.Option("--status", help="New state: applied, verified, rejected or lapsed.")
    ],
    evidence: Annotated[
        str | None,
        typer.Option("--evidence", help="A URL or a note: the request, the platform's mail."),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Date of the change (default today).")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record a change in platform verification.

    The states are unverified -> applied -> verified or rejected; verified -> lapsed; a
    rejected or lapsed account may apply again. Any other change is refused.

    \b
    Example:
      handover account verify x:@CollectorAhd --status applied --evidence "request of 2026-02-01"
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import account_changes

    with context.registry() as reg:
        account = account_changes.record_verification(
            reg, ref, status, evidence, context.parse_date(reg, on, "--on")
        )
    if json_:
        output.json_value(account.to_dict())
    else:
        typer.echo(
            f"{account.ref} is {account.verification.value} since {account.verification_date}"
        )


def _changed(account: Account, what: str, json_: bool, generated: str | None = None) -> None:
    if json_:
        shown = {"generated_password": generated} if generated else {}
        output.json_value(
            {"account": account.ref, "changed": what, **account.credentials.to_dict(), **shown}
        )
    else:
        typer.echo(f"{account.ref}: {what} sealed in the registry")


Generate = Annotated[
    bool,
    typer.Option(
        "--generate",
        help="Make a strong random password (shown once, or copied with --copy) instead of "
        "reading one.",
    ),
]
Length = Annotated[int, typer.Option("--length", help="Length of a generated password.")]
Copy = Annotated[
    bool,
    typer.Option("--copy", help="Put the generated password on the clipboard, not the screen."),
]


def _new_password(generate: bool, length: int, copy: bool, what: str) -> tuple[str, bool]:
    """The password to seal, and whether it was generated here (so it must be handed to the
    user once)."""
    from handover import clipboard
    from handover.errors import UsageError
    from vault.crypto import passwords

    if copy and not generate:
        raise UsageError("--copy goes with --generate")
    if generate:
        if copy and clipboard.program() is None:
            raise UsageError("no clipboard here: leave out --copy, and the password is shown once")
        return passwords.generate(length), True
    return context.secret_input(what, confirm=True), False


def _warn_if_weak(secret: str, generated: bool) -> None:
    """After a typed password is sealed: say so when the audit will call it weak."""
    from vault.crypto import passwords

    why = None if generated else passwords.weakness(secret)
    if why:
        typer.echo(
            f"handover: warning: this password is weak ({why}); the audit will report it "
            "('--generate' makes a strong one)",
            err=True,
        )


def _hand_over(account: Account, secret: str, generated: bool, copy: bool, json_: bool) -> None:
    """What a command that sealed a generated password tells the user: the password, once."""
    from handover import clipboard

    if not generated:
        return
    if copy:
        if not clipboard.copy(secret):
            typer.echo(f"handover: the clipboard did not take it; the password is: {secret}")
        elif not json_:
            typer.echo(f"{account.ref}: the new password is on the clipboard")
        return
    if json_:
        return
    typer.echo(f"{account.ref}: the new password (shown once): {secret}")


@app.command("set-password")
def set_password(
    ref: Ref,
    _password: Annotated[str | None, secret_option("--password")] = None,
    generate: Generate = False,
    length: Length = 20,
    copy: Copy = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Seal the account's password. It is read from standard input, or asked for; or, with
    --generate, made here and shown once.

    \b
    Examples:
      printf '%s\\n' "$NEW_PASSWORD" | handover account set-password x:@CollectorAhd
      handover account set-password facebook:collectorahd --generate --copy
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import credentials

    secret, generated = _new_password(generate, length, copy, "password")
    with context.registry() as reg:
        account = credentials.set_password(reg, ref, secret)
    _warn_if_weak(secret, generated)
    _changed(account, "password", json_, secret if generated and not copy else None)
    _hand_over(account, secret, generated, copy, json_)


@app.command("rotate")
def rotate(
    ref: Ref,
    _password: Annotated[str | None, secret_option("--password")] = None,
    generate: Generate = False,
    length: Length = 20,
    copy: Copy = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record a new password after changing it on the platform, and clear 'rotation due'.

    The new password must differ from the one in the registry. With --generate, a strong one
    is made here and shown once (or copied): set it on the platform straight away.

    \b
    Examples:
      handover account rotate x:@CollectorAhd < new-password.txt
      handover account rotate x:@CollectorAhd --generate --length 24
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import credentials

    secret, generated = _new_password(generate, length, copy, "new password")
    with context.registry() as reg:
        account = credentials.set_password(reg, ref, secret, rotate=True)
    _warn_if_weak(secret, generated)
    _changed(account, "new password", json_, secret if generated and not copy else None)
    _hand_over(account, secret, generated, copy, json_)


@app.command("set-totp")
def set_totp(
    ref: Ref,
    _seed: Annotated[str | None, secret_option("--seed")] = None,
    _uri: Annotated[str | None, secret_option("--uri")] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Seal the account's authenticator seed: an otpauth:// URI or a base32 seed on stdin.

    SHA1, SHA256 and SHA512, 6 to 8 digits, any period, and 80-bit seeds are accepted.
    The account's 2FA method becomes 'totp'.

    \b
    Example:
      printf 'otpauth://totp/X:CollectorAhd?secret=...&digits=8\\n' \\
          | handover account set-totp x:@CollectorAhd
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import credentials

    text = context.secret_input("TOTP seed or otpauth URI")
    with context.registry() as reg:
        account, seed = credentials.set_totp(reg, ref, text)
    if json_:
        output.json_value(
            {
                "account": account.ref,
                "changed": "totp",
                "algorithm": seed.algorithm,
                "digits": seed.digits,
                "period": seed.period,
            }
        )
    else:
        typer.echo(
            f"{account.ref}: TOTP seed sealed ({seed.algorithm}, {seed.digits} digits, "
            f"{seed.period} s)"
        )


@app.command("set-recovery-codes")
def set_recovery_codes(
    ref: Ref,
    _codes: Annotated[str | None, secret_option("--codes")] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Seal the platform's backup/recovery codes, one per line on standard input.

    \b
    Example:
      handover account set-recovery-codes x:@CollectorAhd < codes.txt && shred -u codes.txt
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import credentials

    text = context.read_stdin()
    with context.registry() as reg:
        account, count = credentials.set_recovery_codes(reg, ref, text)
    _changed(account, f"{count} recovery codes", json_)


@app.command("set-notes")
def set_notes(
    ref: Ref,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Seal free-text secret notes (security questions, where the hardware key is) from stdin.

    \b
    Example:
      handover account set-notes x:@CollectorAhd < notes.txt
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import credentials

    text = context.read_stdin()
    with context.registry() as reg:
        account = credentials.set_notes(reg, ref, text)
    _changed(account, "notes", json_)


Reason = Annotated[
    str | None,
    typer.Option("--reason", help="Why (kept with the record and in the log)."),
]


@app.command("rename")
def rename(
    ref: Ref,
    new_handle: Annotated[str, typer.Argument(help="The account's new handle on the platform.")],
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record a handle the platform changed: the history stays, and the old handle still finds
    the account.

    \b
    Example:
      handover account rename x:@CollectorAhd @CollectorAhmedabad
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import lifecycle

    with context.registry() as reg:
        account = lifecycle.rename_account(reg, ref, new_handle)
    if json_:
        output.json_value(account.to_dict())
    else:
        typer.echo(f"{ref} is now {account.ref} (the old handle still finds it)")


@app.command("archive")
def archive(
    ref: Ref, reason: Reason = None, json_: JsonFlag = False, fmt: FormatOption = None
) -> None:
    """Archive an account (a page closed, a profile deleted): it leaves lists and the audit,
    and stays on record, in exports for the file and in the log.

    \b
    Example:
      handover account archive facebook:OldCollectorPage --reason "page closed, order 12/2026"
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import lifecycle

    with context.registry() as reg:
        account = lifecycle.archive_account(reg, ref, reason)
    if json_:
        output.json_value(account.to_dict())
    else:
        typer.echo(f"{account.ref} archived: {account.archived}")


@app.command("purge")
def purge(ref: Ref, reason: Reason = None) -> None:
    """Delete an archived account for good (the log keeps its story). Refused while it holds a
    secret sealed only here, one not escrowed.

    \b
    Example:
      handover account purge facebook:OldCollectorPage --reason "closed in 2019; nothing left"
    """
    from vault.records import lifecycle

    with context.registry() as reg:
        name = lifecycle.purge_account(reg, ref, reason)
    typer.echo(f"{name} purged")


roles_app = context.sub_app(
    "Page roles: who holds which role (admin, editor, manager...) on a page or channel, an "
    "officer in person or a post."
)
app.add_typer(roles_app, name="role")
Holder = Annotated[str | None, typer.Option("--officer", help="The officer holding the role.")]
HolderPost = Annotated[
    str | None, typer.Option("--post", help="The post holding the role (instead of --officer).")
]
RoleName = Annotated[str, typer.Option("--role", help="admin, editor, manager, moderator...")]
ROLE_COLUMNS = [("account", "account"), ("holder", "held by"), ("role", "role"),
                ("since", "since"), ("until", "until")]  # fmt: skip


@roles_app.command("add")
def role_add(
    ref: Ref,
    role: RoleName,
    officer: Holder = None,
    post: HolderPost = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Since when (default today).")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record that an officer (or a post) holds a role on the account's page or channel.

    \b
    Example:
      handover account role add facebook:collectorahd --officer ias-0077 --role admin
    """
    from vault.records import roles

    with context.registry() as reg:
        held = roles.add(
            reg, ref, role, officer=officer, post=post, since=context.parse_date(reg, since)
        )
    output.rows((r.to_dict() for r in held), ROLE_COLUMNS, context.out_format(json_, fmt, csv=True))


@roles_app.command("end")
def role_end(
    ref: Ref,
    role: RoleName,
    officer: Holder = None,
    post: HolderPost = None,
    on: Annotated[str | None, typer.Option("--on", help="When it ended (default today).")] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record that a role ended (after removing it on the platform).

    \b
    Example:
      handover account role end facebook:collectorahd --officer ias-0042 --role admin
    """
    from vault.records import roles

    with context.registry() as reg:
        held = roles.end(reg, ref, role, officer=officer, post=post, on=context.parse_date(reg, on))
    output.rows((r.to_dict() for r in held), ROLE_COLUMNS, context.out_format(json_, fmt, csv=True))


@roles_app.command("list")
def role_list(
    ref: Annotated[str | None, typer.Argument(help="Only this account.")] = None,
    ended: Annotated[bool, typer.Option("--ended", help="Also roles that ended.")] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List page roles: who can act for which page.

    \b
    Example:
      handover account role list --format csv
    """
    from vault.records import roles

    with context.registry() as reg:
        held = roles.listing(reg, ref, ended=ended)
    output.rows((r.to_dict() for r in held), ROLE_COLUMNS, context.out_format(json_, fmt, csv=True))
