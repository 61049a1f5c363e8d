"""Serving the page on the loopback addresses only: 127.0.0.1, and ::1 on the same port when
the machine has IPv6. The sockets are bound here, before the server sees them, so no setting
can make it listen on another address.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handover.web import security
from handover.web.desk import Desk

if TYPE_CHECKING:
    from vault.crypto.unlock import Unlocker
    from vault.store.storage import Registry

# How often the idle watcher looks at the clock: the lock comes at most this late.
WATCH_SECONDS = 0.5


def bind(port: int) -> list[socket.socket]:
    """Listening sockets on 127.0.0.1 (``port``, or a free one for 0) and on ::1 beside it."""
    from handover.errors import UsageError

    try:
        first = socket.create_server(("127.0.0.1", port))
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    bound = [first]
    chosen = first.getsockname()[1]
    if socket.has_ipv6:
        with contextlib.suppress(OSError):  # no IPv6 loopback here: 127.0.0.1 is enough
            bound.append(
                socket.create_server(("::1", chosen), family=socket.AF_INET6, dualstack_ipv6=False)
            )
    return bound


def one_at_a_time(app: Any, desk: Desk) -> Callable[..., Iterable[bytes]]:
    """The application behind the desk's mutex, so that the idle watcher never locks the
    registry in the middle of a request."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with desk.mutex:
            return list(app(environ, start_response))

    return wsgi


def watch_idle(desk: Desk, stop: threading.Event) -> None:
    """Lock the registry once it has been idle too long, whether or not a request comes: the
    keys leave memory at the idle time, not at the next click."""
    while not stop.wait(WATCH_SECONDS):
        with desk.mutex:
            if desk.unlocked and desk.idle.expired():
                desk.lock_idle()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve(
    opener: Callable[[Unlocker], Registry],
    *,
    port: int,
    open_browser: bool,
    out_dir: Path,
    identity_spec: str | None,
    lang: str,
) -> None:
    """Serve until interrupted; print the address with its one-time token first."""
    import logging
    import signal

    from waitress.server import create_server

    from handover.web.app import create_app

    # waitress reports its queue depth when one request waits for another: noise in the log.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    sockets = bind(port)
    chosen = sockets[0].getsockname()[1]
    gate = security.Gate()
    desk = Desk(opener, identity_spec, out_dir, security.IdleLock(600.0), lang=lang)
    app = one_at_a_time(create_app(desk, gate, chosen), desk)
    server = create_server(
        app, sockets=sockets, threads=1, ident="handover", expose_tracebacks=False
    )
    stop = threading.Event()
    threading.Thread(target=watch_idle, args=(desk, stop), daemon=True).start()
    # A service manager or a test stops the server with SIGTERM: the registry is closed too.
    signal.signal(signal.SIGTERM, _interrupt)
    url = f"http://127.0.0.1:{chosen}/start?token={gate.token}"
    print(f"handover serve: open {url}", flush=True)
    print("handover serve: the address works once; press Ctrl+C to stop the server", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        with desk.mutex:
            desk.lock()
        server.close()
        sys.stderr.write("handover serve: stopped\n")
