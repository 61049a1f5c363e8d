"""The ``handover`` command line.

A thin layer: each command parses its options, calls one core function, and prints. Every
deliberate error of the core (:class:`vault.errors.VaultError`) or of this layer
(:class:`handover.errors.HandoverError`) becomes one line on stderr and an exit code here, in
:class:`HandoverGroup`, and nowhere else. ``HANDOVER_DEBUG=1`` shows the traceback instead.

Exit codes: 0 done; 1 refused or failed; 2 usage error (including a secret given on the command
line); 3 the command ran and found what it was asked to fail on (audit findings at or above
``--fail-on``, a log that does not verify). Under ``--json`` an error is a JSON object.
"""

import copy
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from handover import __version__, i18n
from handover.cli import context
from handover.cli.context import secret_option
from handover.errors import UsageError

# Subcommands load on use: (module, one-line help). Building every command's parser at start-up
# would cost more than the rest of `handover --help` together.
LAZY: dict[str, tuple[str, str]] = {
    "init": ("handover.cli.registry", "Create a new registry, protected by a passphrase."),
    "give": ("handover.cli.give", "Hand over a post, guided: for the outgoing officer."),
    "take": ("handover.cli.take", "Take charge of a post, guided: for the incoming officer."),
    "post": ("handover.cli.posts", "Posts: official positions that own accounts."),
    "officer": ("handover.cli.officers", "Officers and who holds which post when."),
    "account": ("handover.cli.accounts", "Accounts, contacts, verification and secrets."),
    "totp": ("handover.cli.totp", "Print an account's current TOTP code."),
    "group": ("handover.cli.groups", "WhatsApp and other groups, and their admin posts."),
    "config": ("handover.cli.config", "Official email domains and audit thresholds."),
    "key": ("handover.cli.keys", "Key slots (passphrase, recovery, keyring) and rotation."),
    "identity": ("handover.cli.identity", "Your officer identity: keys to receive and sign."),
    "packet": ("handover.cli.packets", "Create, inspect and claim handover packets; receipts."),
    "log": ("handover.cli.log", "The tamper-evident event log: list, verify, checkpoint."),
    "audit": ("handover.cli.audit", "What needs attention, by rule, severity and district."),
    "member": ("handover.cli.members", "IT cell members, who act for the department."),
    "escrow": ("handover.cli.escrow", "The department's escrow copies; break-glass opening."),
    "import": ("handover.cli.imports", "Bulk import of posts, officers, accounts, groups."),
    "export": ("handover.cli.records", "Export the register: full, by district, or public."),
    "backup": ("handover.cli.records", "Write an encrypted backup of the whole registry."),
    "restore": ("handover.cli.records", "Recreate a registry from an encrypted backup."),
    "transfers": ("handover.cli.transfers", "Transfer orders and where their handovers stand."),
    "report": ("handover.cli.reports", "PDF reports for the file: charge report, audit."),
    "serve": ("handover.cli.serve", "The local web page: register, handover, audit (loopback)."),
}


class HandoverGroup(TyperGroup):
    """The root group: loads subcommands on use, and is the one place where errors become
    messages and exit codes."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return (
            self._lazy(cmd_name, None) if cmd_name in LAZY else super().get_command(ctx, cmd_name)
        )

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in LAZY:
            return args[0], self._lazy(args[0], args[1] if len(args) > 1 else None), args[1:]
        return super().resolve_command(ctx, args)

    @staticmethod
    def _lazy(cmd_name: str, then: str | None) -> Any:
        """The command ``cmd_name``, its module imported now. Of a group, when the next word
        ``then`` names one of its commands, only that one is built: building the parsers of all
        of ``account``'s commands cost more than ``account show``'s whole reading of the
        registry. Anything else (``--help``, no word, a misspelt one) gets the whole group."""
        app = importlib.import_module(LAZY[cmd_name][0]).app
        own = {_name(info): info for info in app.registered_commands}
        if cmd_name in own and len(own) > 1:  # a module holding several top-level commands
            return typer.main.get_command_from_info(
                own[cmd_name],
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
        if cmd_name in own:  # a module holding this one command
            command: Any = typer.main.get_command(app)
        elif then in own or then in {info.name for info in app.registered_groups}:
            app = copy.copy(app)
            app.registered_commands = [own[then]] if then in own else []
            app.registered_groups = [i for i in app.registered_groups if i.name == then]
            command = typer.main.get_group(app)
        else:
            command = typer.main.get_command(app)
        command.name = cmd_name
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, LAZY[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # typer's own exceptions (exit, abort, usage errors) and a closed output pipe
            # (handover ... | head) keep typer's usual handling.
            if (
                type(exc).__module__.startswith("typer")
                or isinstance(exc, BrokenPipeError)
                or os.environ.get("HANDOVER_DEBUG") == "1"
            ):
                raise
            raise typer.Exit(context.report(exc)) from None


def _name(info: Any) -> str:
    """The name typer gives a registered command: its own, or its function's with dashes."""
    return info.name or typer.main.get_command_name(info.callback.__name__)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"handover {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=HandoverGroup,
    name="handover",
    help=(
        "Encrypted registry of official social media accounts, and signed, sealed handover "
        "packets for when a post changes hands.\n\n"
        "\b\n"
        "Start here:\n"
        "  handover init                          create a registry (asks for a passphrase)\n"
        "  handover config domains add gov.in     declare an official email domain\n"
        "  handover post add ...                  register a post and its official contacts\n"
        "  handover account add x:@Handle --post POST --login-email ...\n"
        "  handover audit                         what needs attention\n\n"
        "The registry is a SQLite file in your data folder unless --registry or "
        "HANDOVER_REGISTRY names another file or a PostgreSQL URL. Secrets are read from a "
        "prompt, standard input or a file, never from the command line."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            envvar="HANDOVER_REGISTRY",
            metavar="PATH|URL",
            help="Registry file or database URL (default: registry.db in your user data folder).",
        ),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            envvar="HANDOVER_PASSPHRASE_FILE",
            metavar="PATH",
            help="Read the registry's passphrase (or recovery code) from this file instead of "
            "asking.",
        ),
    ] = None,
    no_keyring: Annotated[
        bool,
        typer.Option(
            "--no-keyring",
            envvar="HANDOVER_NO_KEYRING",
            help="Do not try the OS keyring slot when unlocking.",
        ),
    ] = False,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity",
            envvar="HANDOVER_IDENTITY",
            metavar="FILE|keyring:OFFICER",
            help="Your own identity (an identity file, an age key file, or keyring:OFFICER): "
            "unlocks the posts you hold on a shared registry, and signs.",
        ),
    ] = None,
    identity_passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--identity-passphrase-file",
            envvar="HANDOVER_IDENTITY_PASSPHRASE_FILE",
            metavar="PATH",
            help="Read the identity file's own passphrase from this file instead of asking.",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="HANDOVER_LANG",
            metavar="en|gu|hi",
            help="Language of the guided flows (give, take) and reports: English, Gujarati or "
            "Hindi (default: the registry's 'language' setting).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    _passphrase: Annotated[str | None, secret_option("--passphrase")] = None,
) -> None:
    context.OPTIONS = context.Options(
        registry, passphrase_file, not no_keyring, identity, identity_passphrase_file
    )
    context.RUN.start()
    try:
        i18n.choose(lang)
    except ValueError:
        raise typer.Exit(
            context.report(UsageError(f"--lang {lang!r}: handover speaks en, gu and hi"))
        ) from None


# Seconds to wait before each new attempt of a command that found the database server
# unavailable and changed nothing: about 15 s in all, long enough for a server restart.
RETRY_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0)


def main() -> None:
    """The console script. A command that found the database server unavailable, having
    changed nothing, is run again after a pause, a few times, before its error is shown."""
    import gc
    import time

    # A command allocates many small objects and makes few cycles: a collection every 700
    # allocations (Python's default) was 5 to 10% of an import or an audit (make bench).
    gc.set_threshold(100_000, 50, 100)
    _debug_logging()
    if not all(arg.isascii() or _utf8(arg) for arg in sys.argv[1:]):
        raise SystemExit(context.report(UnicodeError("an argument is not UTF-8")))
    context.RUN = context.Run(attempts_left=len(RETRY_WAITS))
    try:
        for wait in RETRY_WAITS:
            try:
                app(prog_name="handover")
            except SystemExit:
                if not context.RUN.again:
                    raise
            time.sleep(wait)
        app(prog_name="handover")
    finally:
        _settle_stdout()


def _utf8(arg: str) -> bool:
    """Whether a command-line argument was valid UTF-8 (Python keeps other bytes as lone
    surrogates, which no command can use)."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _debug_logging() -> None:
    """Under ``HANDOVER_DEBUG=1``, show what the database driver and pool log (the registry
    gives them a null handler: one-line errors say what matters)."""
    if os.environ.get("HANDOVER_DEBUG") == "1":
        import logging

        logging.basicConfig(level=logging.WARNING)


def _settle_stdout() -> None:
    """Flush standard output now; if it cannot be written (``>/dev/full``), the error has been
    reported already, so send what is left nowhere rather than a traceback at exit."""
    import sys

    try:
        sys.stdout.flush()
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
