"""The registry as the server holds it for its one user: opened with the passphrase typed on
the unlock page, closed again on "Lock" or after an idle time.

The passphrase goes to the core's own :class:`vault.crypto.unlock.Unlocker` and nowhere else:
never to a file, a URL or a log line. The keyring and passphrase files that the command line
may use are not used here, so that "Lock" means locked. What a flow holds between two pages
(a packet being taken, a password generated and not yet recorded) lives here too, and goes
with the lock.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handover import i18n
from handover.web.security import IdleLock

if TYPE_CHECKING:
    from vault.crypto.unlock import Unlocker
    from vault.store.storage import Registry


@dataclass
class Download:
    name: str
    path: Path
    mimetype: str


@dataclass
class Desk:
    """One user's server: the open registry, the language, and what flows hold meanwhile."""

    # How the command line opens its registry (location, actor, clock), given an unlocker.
    opener: Callable[[Unlocker], Registry]
    identity_spec: str | None
    out_dir: Path
    idle: IdleLock
    lang: str = "en"
    registry: Registry | None = None
    # Between the pages of a flow, by flow name: never a secret that the registry keeps anyway.
    flow: dict[str, Any] = field(default_factory=dict)
    # Secrets a person is about to record (a generated password, a new authenticator key),
    # by account: kept in memory, forgotten on lock.
    pending: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # new secrets
    downloads: dict[str, Download] = field(default_factory=dict)
    # How long a revealed secret stays on the page (the registry's ``web_reveal_seconds``).
    reveal_seconds: int = 30
    # Held while a request is served and while the idle watcher locks: the lock never closes
    # the registry under a request that is using it.
    mutex: threading.Lock = field(default_factory=threading.Lock)

    @property
    def unlocked(self) -> bool:
        return self.registry is not None

    def unlock(self, passphrase: str, identity_passphrase: str | None) -> None:
        """Open the registry with ``passphrase``; the core decides whether it opens."""
        from handover.output import show_times_in
        from vault.crypto.unlock import Unlocker, registry_key
        from vault.errors import UnlockError
        from vault.store import settings

        answers = {"registry": passphrase, "identity": identity_passphrase or ""}

        def typed(question: str) -> str:
            # The core asks for the identity file's passphrase by naming the file.
            return answers["identity" if "identity file" in question else "registry"]

        if not passphrase:
            raise UnlockError("wrong passphrase or recovery code")
        unlocker = Unlocker(prompt=typed, use_keyring=False, identity_spec=self.identity_spec)
        reg = self.opener(unlocker)
        try:
            with reg.read() as conn:
                registry_key(conn, reg)
                show_times_in(settings.read(conn, "display_timezone"))
                self.idle.seconds = float(settings.read(conn, "web_idle_seconds"))
                self.reveal_seconds = int(settings.read(conn, "web_reveal_seconds"))
                if not i18n.chosen():
                    self.lang = str(settings.read(conn, "language") or self.lang)
        except BaseException:
            reg.close()
            raise
        self.registry = reg
        self.idle.touch()

    def lock(self) -> None:
        """Close the registry and forget every key, secret and flow state with it."""
        if self.registry is not None:
            self.registry.close()
        self.registry = None
        self.flow.clear()
        self.pending.clear()
        self.downloads.clear()

    def lock_idle(self) -> None:
        """Lock after the idle time, and say so in the server's log."""
        import sys

        self.lock()
        sys.stderr.write("handover serve: locked after the idle time\n")

    def offer(self, path: Path, mimetype: str) -> str:
        """A file this server wrote, offered for download under a random key."""
        key = secrets.token_urlsafe(12)
        self.downloads[key] = Download(path.name, path, mimetype)
        return key
