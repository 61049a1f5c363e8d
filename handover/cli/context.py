"""What every command shares: global options, the registry it works on, the clock, and how
secrets reach it (a prompt, standard input or a file; never the command line).

Only the standard library and typer are imported at module level: ``handover --help`` must start
in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from handover.errors import FileError, SecretInArgvError, UsageError
from handover.output import Format

if TYPE_CHECKING:
    from vault.crypto.unlock import Unlocker
    from vault.store.location import Location
    from vault.store.storage import Registry


@dataclass
class Options:
    """Global options of one invocation, set by the root callback."""

    registry: str | None = None
    passphrase_file: Path | None = None
    use_keyring: bool = True
    identity: str | None = None
    identity_passphrase_file: Path | None = None


OPTIONS = Options()


@dataclass
class Run:
    """One run of the console script, across its attempts.

    A command that failed because the database server was unavailable, before anything was
    saved, is run again whole (:func:`handover.cli.main`) unless it had already done something
    outside the registry (``side_effects``: a recovery code shown or written). What it read
    from standard input or a prompt is kept for the next attempt, in this process only."""

    attempts_left: int = 0
    again: bool = False
    side_effects: bool = False
    json_errors: bool = False
    answers: dict[str, str] = field(default_factory=dict, repr=False)  # a passphrase, secrets

    def start(self) -> None:
        """Called as each attempt begins: a new run forgets the answers of the last one."""
        if self.again:
            self.again = False
            self.attempts_left -= 1
        else:
            self.side_effects = False
            self.json_errors = False
            self.answers.clear()

    def answer(self, key: str, ask: Callable[[], str]) -> str:
        if key not in self.answers:
            self.answers[key] = ask()
        return self.answers[key]


RUN = Run()

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts: the short form of --format json.")
]
FormatOption = Annotated[
    Format | None,
    typer.Option("--format", help="table (the default), json, or csv for a list."),
]


def out_format(json_: bool, fmt: Format | None, *, csv: bool = False) -> Format:
    """The output format a command was asked for: --json is --format json. Once JSON is
    asked for, errors are JSON on stderr too."""
    chosen = Format.JSON if json_ else (fmt or Format.TABLE)
    if chosen is Format.CSV and not csv:
        raise UsageError("--format csv is for lists: this command writes a table or JSON")
    RUN.json_errors = chosen is Format.JSON
    return chosen


def wants_json(json_: bool, fmt: Format | None) -> bool:
    """For commands that print a record or a message: JSON, or text for a person."""
    return out_format(json_, fmt) is Format.JSON


def refuse_secret(value: str | None) -> None:
    """Callback of hidden options such as ``--password``: a secret in argv is visible to every
    user of the machine through ``ps`` and stays in shell history."""
    if value is not None:
        # Options of the root are parsed before any command runs, outside the error handler of
        # the root group, so this error is reported here through the same function.
        error = SecretInArgvError(
            "refusing a secret on the command line (ps and shell history would show it): "
            "pipe it on standard input, or type it at the prompt"
        )
        raise typer.Exit(report(error))


# Exit codes: 0 done; 1 refused or failed; 2 a usage error; 3 the command ran and found what it
# was asked to fail on (audit findings at --fail-on, a log that does not verify).
EXIT_FAILED, EXIT_USAGE, EXIT_FINDINGS = 1, 2, 3


def report(exc: Exception) -> int:
    """Print a deliberate error as one line on stderr and return its exit code.

    Anything else is reported as unexpected, by type only: its message could hold a secret.
    """
    from handover.errors import HandoverError
    from handover.output import inert
    from vault.errors import VaultError

    if isinstance(exc, HandoverError):
        return _say_error(inert(exc.message), exc.exit_code)
    if isinstance(exc, VaultError):
        if _run_again(exc):
            return EXIT_FAILED
        return _say_error(inert(exc.message), EXIT_FAILED)
    if isinstance(exc, UnicodeError):
        return _say_error(
            "some text given (an argument, a file name or a file) is not UTF-8; give it as UTF-8",
            EXIT_USAGE,
        )
    if isinstance(exc, OSError) and exc.strerror:
        # Output that cannot be written (a full disk, a closed terminal): whatever was being
        # changed when it failed was rolled back with it.
        return _say_error(f"cannot write the output: {exc.strerror}", EXIT_FAILED)
    return _say_error(
        f"unexpected {type(exc).__name__}; run again with HANDOVER_DEBUG=1 to see the traceback",
        EXIT_FAILED,
    )


def _say_error(message: str, code: int) -> int:
    """One line on stderr: text for a person, in the language in use where the catalogs hold
    it (the core's messages that carry no values), or, when the command was asked for JSON, a
    JSON object a script can read (``{"error": ..., "code": ...}``), always in English."""
    if RUN.json_errors:
        import json

        typer.echo(json.dumps({"error": message, "code": code}, ensure_ascii=False), err=True)
    else:
        from handover.i18n import translate

        typer.echo(f"handover: {translate(message)}", err=True)
    return code


def _run_again(exc: Exception) -> bool:
    """Whether the command will be run again: the server was unavailable, nothing was saved,
    nothing was done outside the registry, and attempts are left."""
    from vault.errors import ServerUnavailable

    if (
        isinstance(exc, ServerUnavailable)
        and exc.saved is False
        and not RUN.side_effects
        and RUN.attempts_left > 0
    ):
        RUN.again = True
    return RUN.again


def secret_option(name: str) -> Any:
    """A hidden option that exists only to refuse a secret typed on the command line."""
    return typer.Option(name, hidden=True, callback=refuse_secret)


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text, no_args_is_help=True, rich_markup_mode=None, add_completion=False
    )


def system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """The current time, or ``HANDOVER_NOW`` (ISO 8601) for reproducible runs and tests.

    An overridden clock is never silent: every log entry made under it says so, the audit
    reports it, and it cannot make an expired packet valid again.
    """
    fixed = os.environ.get("HANDOVER_NOW")
    if fixed:
        try:
            value = dt.datetime.fromisoformat(fixed)
        except ValueError:
            raise UsageError(f"HANDOVER_NOW={fixed!r} is not an ISO 8601 time") from None
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return system_now()


def real_clock() -> Callable[[], dt.datetime] | None:
    """The system clock when ``HANDOVER_NOW`` overrides it, else ``None``."""
    return system_now if os.environ.get("HANDOVER_NOW") else None


def actor() -> tuple[str, bool]:
    """Who is acting, for the event log, and whether that is only the operating system's login.

    ``HANDOVER_ACTOR`` is taken as declared and recorded so (``NAME (declared)``); otherwise the
    registry records its configured operator, or the login as a last resort
    (``root (os login)``). A command that signs as an officer records that officer instead.
    """
    declared = os.environ.get("HANDOVER_ACTOR", "").strip()
    if declared:
        return f"{declared} (declared)", False
    import getpass

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return f"{login} (os login)", True


def terminal_prompt() -> Callable[[str], str] | None:
    """A no-echo prompt, or ``None`` when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        try:
            with open("/dev/tty"):
                pass
        except OSError:
            return None
    return lambda text: RUN.answer(text, lambda: typer.prompt(text, hide_input=True, err=True))


def unlocker() -> Unlocker:
    from vault.crypto.unlock import Unlocker

    return Unlocker(
        passphrase_file=OPTIONS.passphrase_file,
        prompt=terminal_prompt(),
        use_keyring=OPTIONS.use_keyring,
        identity_spec=OPTIONS.identity,
        identity_passphrase_file=OPTIONS.identity_passphrase_file,
    )


def location() -> Location:
    from vault.store.location import resolve

    return resolve(OPTIONS.registry)


@contextmanager
def registry() -> Iterator[Registry]:
    """The registry named by the global options, opened (and upgraded if older) for a command."""
    from vault.store import storage

    loc = location()
    name, is_login = actor()
    reg = storage.open_registry(
        loc,
        actor=name,
        clock=now,
        unlocker=unlocker,
        real_clock=real_clock(),
        actor_is_login=is_login,
    )
    from handover import output
    from vault.store import settings

    with reg.reads() as db:
        output.show_times_in(settings.read(db, "display_timezone"))
    if reg.upgraded_from:
        where = f"; backup at {reg.backup_path}" if reg.backup_path else ""
        typer.echo(
            f"handover: upgraded {loc.display} from schema {reg.upgraded_from}{where}", err=True
        )
    try:
        yield reg
    finally:
        reg.close()


def speak(reg: Registry) -> None:
    """Speak the registry's ``language`` setting on the guided paths, unless --lang or
    HANDOVER_LANG chose a language already."""
    from handover import i18n
    from vault.store import settings

    if not i18n.chosen():
        with reg.read() as conn:
            i18n.choose(settings.read(conn, "language"))


def read_file(path: Path) -> bytes:
    """A whole input file (packet, card, receipt), or a clear error."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror}") from None


def write_new_file(
    path: Path,
    data: bytes,
    *,
    exists: str,
    force: bool = False,
    same_is_done: bool = False,
    mode: int = 0o644,
) -> None:
    """Write ``data`` to ``path`` whole or not at all (:func:`vault.store.files.write_whole`).

    An existing file is replaced only with ``force``; otherwise the error ends with ``exists``,
    the remedy in the command's own options (e.g. "choose another -o/--output, or give
    --force"). With ``same_is_done`` a file that already holds exactly ``data`` counts as
    written: a command run again after a crash finishes instead of refusing."""
    from vault.store import files

    if not force:
        try:
            held = path.read_bytes() if same_is_done else None
        except FileNotFoundError:
            held = None
        except OSError:
            held = b""
        if held == data:
            return
        if path.exists() or path.is_symlink():
            raise FileError(f"{path} exists; {exists}")
    files.write_whole(path, data, mode)


def write_secret_file(path: Path, text: str) -> None:
    """Write a secret (a recovery code) to a new file, mode 600, and make sure it reached the
    disk: callers do this before they commit, so that no registry depends on a code nobody has."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileError(
            f"{path} exists (a code is never written over another); choose another "
            "--recovery-code-file"
        ) from None
    except OSError as exc:
        raise FileError(f"cannot create {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise FileError(f"cannot write {path}: {exc.strerror}; nothing was changed") from None


def deliver_recovery_codes(path: Path | None) -> Callable[[dict[str, str]], None]:
    """How new recovery codes (by slot label) reach a person, before the change that makes them
    commits: into a new file, or printed on standard output. If that fails, the change is
    rolled back and the old ways in still work."""

    def deliver(codes: dict[str, str]) -> None:
        if not codes:
            return
        RUN.side_effects = True
        if path is not None:
            if len(codes) == 1:
                text = next(iter(codes.values())) + "\n"
            else:
                text = "".join(f"{label} {code}\n" for label, code in codes.items())
            write_secret_file(path, text)
            typer.echo(f"recovery code written to {path}: keep it in the IT cell's safe", err=True)
            return
        for label, code in codes.items():
            typer.echo(
                f"\nRecovery code of slot {label!r} (shown only once; print it and keep it in "
                f"the IT cell's safe):\n\n    {code}\n"
            )

    return deliver


def read_stdin() -> str:
    """All of standard input, for a secret or a list piped in; one trailing newline dropped."""
    data = RUN.answer("standard input", sys.stdin.read)
    return data.removesuffix("\n").removesuffix("\r")


def secret_input(what: str, *, confirm: bool = False) -> str:
    """A secret from standard input when it is piped, else from a no-echo prompt."""
    if not sys.stdin.isatty():
        value = read_stdin()
    else:
        value = RUN.answer(
            what,
            lambda: typer.prompt(
                what[:1].upper() + what[1:], hide_input=True, confirmation_prompt=confirm, err=True
            ),
        )
    if not value:
        raise UsageError(f"no {what} was given")
    return value


NEW_PASSPHRASE_OPTIONS = {
    "registry": "--passphrase-file",
    "escrow identity": "--escrow-passphrase-file",
    "identity file": "--identity-passphrase-file",
}


def new_passphrase(file: Path | None, what: str = "slot") -> Callable[[], str]:
    """Where a new passphrase for ``what`` (the registry, a key slot, an identity file, the
    escrow identity) comes from: ``file``, else a prompt asked twice that names what it is for.
    Each of these has a passphrase of its own."""

    def get() -> str:
        from vault.crypto.unlock import read_secret_file

        option = NEW_PASSPHRASE_OPTIONS.get(what, "--new-passphrase-file")
        if file is not None:
            value = read_secret_file(file, f"{what} passphrase")
        else:
            prompt = terminal_prompt()
            if prompt is None:
                raise UsageError(f"no terminal to ask for the new {what} passphrase: give {option}")
            value = RUN.answer(
                f"new {what} passphrase",
                lambda: typer.prompt(
                    f"New passphrase for the {what}",
                    hide_input=True,
                    confirmation_prompt=True,
                    err=True,
                ),
            )
        if not value:
            raise UsageError(f"the new {what} passphrase is empty")
        if len(value) < 12:
            typer.echo(
                f"handover: warning: a {what} passphrase of fewer than 12 characters is weak",
                err=True,
            )
        return value

    return get


def parse_date(reg: Registry, value: str | None, what: str = "date") -> dt.date | None:
    """A date from the command line, read in the registry's date order (day first, unless its
    ``date_order`` setting says otherwise)."""
    if value is None:
        return None
    from vault.model import parse_date as parse
    from vault.store import settings

    with reg.read() as conn:
        day_first = settings.day_first(conn)
    return parse(value, what, day_first=day_first)
