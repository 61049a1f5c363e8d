"""``handover identity``: this registry's officer identities (age + Ed25519) and their cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag
from handover.output import inert

if TYPE_CHECKING:
    from vault.store.storage import Registry

app = context.sub_app(
    "Officer identities: an age key for receiving handover packets and an Ed25519 key for "
    "signing them, kept sealed in this registry; cards carry the public halves to others."
)

Officer = Annotated[
    str | None,
    typer.Option("--officer", help="The officer (default: the only identity this registry holds)."),
]
COLUMNS = [
    ("officer", "officer"),
    ("officer_name", "name"),
    ("fingerprint", "signing key"),
    ("age_recipient", "age recipient"),
    ("local", "private keys here"),
    ("created_at", "created"),
    ("retired_at", "retired"),
]


@app.command("create")
def create(
    officer: Annotated[str, typer.Option("--officer", help="The officer this identity is for.")],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace the officer's current keys (kept as history)."),
    ] = False,
    identity_file: Annotated[
        Path | None,
        typer.Option(
            "--identity-file",
            metavar="PATH",
            help="Keep the private keys in this new passphrase-protected file on your machine, "
            "not in the registry (required on a shared registry).",
        ),
    ] = None,
    keyring: Annotated[
        bool, typer.Option("--keyring", help="Keep the private keys in your OS keyring.")
    ] = False,
    new_passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--new-passphrase-file",
            metavar="PATH",
            help="The identity file's own passphrase (default: --identity-passphrase-file, "
            "else asked twice); never the registry's.",
        ),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Make an officer's identity: an age X25519 key and an Ed25519 signing key.

    On your own registry the private keys are sealed in it. On a shared registry they stay on
    your machine, in an identity file or the OS keyring; give it with --identity afterwards.

    \b
    Examples:
      handover identity create --officer ias-0042
      handover identity create --officer ias-0042 --identity-file ~/ias-0042.identity
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import identities

    if identity_file is not None and keyring:
        from handover.errors import UsageError

        raise UsageError("choose --identity-file or --keyring, not both")
    with context.registry() as reg:
        keep = _keeper(reg, officer, identity_file, keyring, new_passphrase_file)
        made = identities.create(reg, officer, replace=replace, keep=keep)
    if json_:
        output.json_value(made.to_dict())
        return
    where = (
        f"private keys in {identity_file}"
        if identity_file
        else "private keys in the OS keyring"
        if keyring
        else "private keys sealed here"
    )
    typer.echo(
        f"identity of {made.officer} created ({where})\n"
        f"  signing key  {made.fingerprint}\n  age          {made.age_recipient}\n"
        "share it with 'handover identity card -o FILE'"
    )


def _keeper(
    reg: Registry, officer: str, path: Path | None, keyring: bool, passphrase_file: Path | None
) -> Callable[[str, bytes, dict[str, str]], None] | None:
    """Where private keys go when they must not be sealed in the registry."""
    from vault.crypto import identity_file
    from vault.records import config

    if path is not None:
        secret = context.new_passphrase(
            passphrase_file or context.OPTIONS.identity_passphrase_file, "identity file"
        )
        return lambda age, pem, public: identity_file.write_file(
            path, officer, age, pem, public, secret()
        )
    if keyring:
        registry_id = config.registry_id(reg)
        return lambda age, pem, public: identity_file.store_keyring(
            registry_id, officer.strip().lower(), age, pem
        )
    return None


@app.command("card")
def card(
    out: Annotated[Path, typer.Option("-o", "--output", help="Where to write the card.")],
    officer: Officer = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a self-signed identity card (public keys only) for others to import.

    It shows your safety code: read it to the officer who imports your card, and have them
    read theirs to you.

    \b
    Example:
      handover identity card -o asha.card
    """
    from handover.card import make

    with context.registry() as reg:
        info, data = make(reg, officer)
    context.write_new_file(
        out, data, exists="choose another -o/--output, or give --force", force=force
    )
    typer.echo(
        f"wrote {out}: {info.officer} ({inert(info.name)})\nsafety code {info.safety_code}\n"
        "read it aloud to whoever imports the card: their screen must show the same digits"
    )


@app.command("list")
def list_(
    officer: Annotated[str | None, typer.Option("--officer", help="Only this officer.")] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List identities on record, current and retired, own and imported.

    \b
    Example:
      handover identity list --officer ias-0042
    """
    from vault.records import identities

    with context.registry() as reg:
        found = identities.list_identities(reg, officer)
    output.rows((i.to_dict() for i in found), COLUMNS, context.out_format(json_, fmt, csv=True))


@app.command("export-age")
def export_age(
    out: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the age identity (mode 600).")
    ],
    officer: Officer = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="I understand the file is a private key in the clear.")
    ] = False,
) -> None:
    """Write the officer's age identity in the clear, to open a packet with 'age -d'.

    WARNING: the file is a private key without protection. Anyone who reads it can open every
    packet addressed to this officer. Use it once, on your own machine, then delete it
    (shred -u FILE).

    \b
    Example:
      handover identity export-age -o ravi.agekey --yes
    """
    from handover.errors import UsageError
    from vault.records import identities

    if not yes:
        raise UsageError("this writes a private key in the clear; give --yes if you mean it")
    with context.registry() as reg:
        made, secret = identities.export_age(reg, officer)
    context.write_new_file(
        out, (secret + "\n").encode(), exists="choose another -o/--output", mode=0o600
    )
    typer.echo(
        f"wrote {out} (mode 600): the age identity of {made.officer}. It is a private key "
        "in the clear: delete it after use (shred -u).",
        err=True,
    )
