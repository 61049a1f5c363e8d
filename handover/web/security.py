"""What keeps a local web server local: a one-time token exchanged for a session cookie, the
Host header checked against the loopback names (DNS rebinding), a CSRF token and the origin on
every change, and headers that keep pages out of caches and forbid inline script and every
other origin.

A server bound to 127.0.0.1 is still reachable by any web page the officer opens: a page on
another site can send requests to it (CSRF), or a name it controls can be pointed at 127.0.0.1
(DNS rebinding). The cookie is ``SameSite=Strict`` and ``HttpOnly``; the Host check refuses a
rebound name; the CSRF token and the ``Origin`` check refuse a change sent from anywhere else.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def cookie_name(port: int) -> str:
    """The session cookie's name: browsers send cookies to every port of a host, so two servers
    on one machine (an IT cell and an officer, in a test) would otherwise overwrite each other's."""
    return f"handover_session_{port}"


# No inline script or style, no other origin; fonts, styles and the one script from this server.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
LOOPBACK_NAMES = ("127.0.0.1", "[::1]", "localhost")


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host headers a browser sends to this server, and no other: a DNS name pointed at
    127.0.0.1 by another site arrives with that name, and is refused."""
    return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)


def origins(port: int) -> frozenset[str]:
    return frozenset(f"http://{host}" for host in allowed_hosts(port))


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class Gate:
    """The one-time token printed at start-up, and the session it was exchanged for.

    The token opens one session and is then spent: a URL copied from the terminal, a browser
    history or a screen share is useless afterwards. The session lives in this process only.
    """

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    session: str | None = field(default=None, repr=False)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def exchange(self, token: str | None) -> str | None:
        """A new session id for the right token, once; else ``None``."""
        if self.session is not None or not same(token, self.token):
            return None
        self.session = secrets.token_urlsafe(32)
        return self.session

    def admits(self, cookie: str | None) -> bool:
        return self.session is not None and same(cookie, self.session)

    def checks(self, csrf: str | None) -> bool:
        return same(csrf, self.csrf)


def cross_site(origin: str | None, fetch_site: str | None, port: int) -> bool:
    """Whether a request says it comes from another site: an ``Origin`` that is not this
    server, or a browser's ``Sec-Fetch-Site`` other than same-origin (or none, typed in)."""
    if origin is not None and origin not in origins(port):
        return True
    return fetch_site is not None and fetch_site not in ("same-origin", "none")


@dataclass
class IdleLock:
    """When the unlocked registry is locked again: after ``seconds`` without a request.

    ``clock`` is monotonic time; tests give a short ``seconds`` and wait for the page to lock.
    """

    seconds: float
    clock: Callable[[], float] = time.monotonic
    last: float = 0.0

    def touch(self) -> None:
        self.last = self.clock()

    def expired(self) -> bool:
        return self.clock() - self.last > self.seconds
