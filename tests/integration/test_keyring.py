"""The keyring slot: with an in-memory backend in-process, refused insecure backends, and a real
Secret Service (gnome-keyring, headless inside dbus-run-session) in a separate process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from tests.conftest import HANDOVER, PASSPHRASE, Cli

NO_PASSPHRASE = {"HANDOVER_PASSPHRASE_FILE": ""}


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in this process only, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's plaintext file backend (not installed here)."""


@pytest.fixture
def backend() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def keyed(make_cli, backend: MemoryKeyring) -> Cli:  # type: ignore[no-untyped-def]
    cli: Cli = make_cli("keyed", init=False)
    cli.ok("init", "--keyring", "--recovery-code-file", str(cli.home / "rc"))
    cli.ok("post", "add", "dio", "--title", "DIO", "--level", "state")
    cli.ok("account", "add", "x:@dio", "--post", "dio")
    cli.ok("account", "set-password", "x:@dio", input="pw-in-keyring\n")
    return cli


def test_keyring_slot_unlocks_without_a_passphrase(keyed: Cli, backend: MemoryKeyring) -> None:
    assert len(backend.entries) == 1
    assert [s["kind"] for s in keyed.json("key", "slots")] == ["passphrase", "recovery", "keyring"]
    shown = keyed.json("account", "show", "x:@dio", "--reveal", env=NO_PASSPHRASE)
    assert shown["secrets"]["password"] == "pw-in-keyring"
    line = keyed.fails(
        "account", "show", "x:@dio", "--reveal", env={**NO_PASSPHRASE, "HANDOVER_NO_KEYRING": "1"}
    )
    assert "locked" in line


def test_a_missing_keyring_entry_falls_back_to_the_passphrase(
    keyed: Cli, backend: MemoryKeyring
) -> None:
    backend.entries.clear()
    assert (
        keyed.json("account", "show", "x:@dio", "--reveal")["secrets"]["password"]
        == "pw-in-keyring"
    )
    assert "locked" in keyed.fails("account", "show", "x:@dio", "--reveal", env=NO_PASSPHRASE)


def test_keyring_is_never_the_only_way_in(keyed: Cli, backend: MemoryKeyring) -> None:
    keyed.ok("key", "remove-slot", "recovery")
    before = keyed.dump()
    assert "must not be the only way in" in keyed.fails("key", "remove-slot", "passphrase")
    assert keyed.dump() == before
    keyed.ok("key", "remove-slot", "keyring")
    assert backend.entries == {}


def test_rotation_keeps_the_keyring_slot(keyed: Cli, backend: MemoryKeyring) -> None:
    result = keyed.json("key", "rotate")
    assert result["slots_kept"] == ["passphrase", "recovery", "keyring"]
    shown = keyed.json("account", "show", "x:@dio", "--reveal", env=NO_PASSPHRASE)
    assert shown["secrets"]["password"] == "pw-in-keyring"


@pytest.mark.parametrize(
    ("make_backend", "message"),
    [
        (fail.Keyring, "stores nothing"),
        (PlaintextKeyring, "keeps secrets in a file on disk"),
        (lambda: _chain(PlaintextKeyring()), "keeps secrets in a file on disk"),
    ],
    ids=["fail", "plaintext", "chainer-to-plaintext"],
)
def test_insecure_backends_are_refused(make_cli, make_backend, message: str) -> None:  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    keyring.set_keyring(make_backend())
    try:
        cli: Cli = make_cli("insecure", init=False)
        line = cli.fails("init", "--keyring")
        assert message in line
        assert cli.fails("post", "list")  # nothing was created
    finally:
        keyring.set_keyring(previous)


def _chain(*members: KeyringBackend) -> chainer.ChainerBackend:
    class Chain(chainer.ChainerBackend):
        backends = [MemoryKeyring(), *members]  # type: ignore[assignment]

    return Chain()


def test_real_secret_service(make_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """gnome-keyring's Secret Service, headless, as on an officer's Linux desktop."""
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/system-deps"
    cli: Cli = make_cli("secretservice", init=False)
    home = tmp_path / "home"
    home.mkdir()
    script = f"""
set -e
printf %s "$KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
python -c 'import keyring; print(type(keyring.get_keyring()).__module__)'
{HANDOVER} init --keyring --recovery-code-file "$HOME/rc" --no-escrow >/dev/null
{HANDOVER} post add dio --title DIO --level state >/dev/null
{HANDOVER} account add x:@dio --post dio >/dev/null
printf 'pw-in-gnome-keyring\\n' | HANDOVER_PASSPHRASE_FILE= {HANDOVER} account set-password x:@dio
HANDOVER_PASSPHRASE_FILE= {HANDOVER} account show x:@dio --reveal --json
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DBUS_"))}
    env.update(
        {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "KEYRING_PW": "keyring-login-pw",
            "HANDOVER_REGISTRY": cli.location,
            "HANDOVER_PASSPHRASE_FILE": str(cli.passphrase_file),
            "PATH": f"{Path(HANDOVER).parent}:{env['PATH']}",
        }
    )
    env.pop("PYTHON_KEYRING_BACKEND", None)
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    first, _, rest = proc.stdout.partition("\n")
    assert first == "keyring.backends.SecretService"
    shown = json.loads(rest[rest.index("{") :])
    assert shown["secrets"]["password"] == "pw-in-gnome-keyring"
    assert PASSPHRASE not in proc.stdout + proc.stderr
