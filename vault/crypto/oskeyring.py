"""The OS keyring, as a place to keep a key-encryption key, and the backends we refuse.

``keyring`` picks a backend by priority. On a headless machine that is the ``fail`` backend; with
``keyrings.alt`` installed it may be a chainer that falls through to a plaintext file. A key kept
there would be a key on disk in the clear, so such backends are refused with a message that says
what to do. The module is imported only when a keyring slot is used: choosing a backend costs
about 0.3 s.
"""

from __future__ import annotations

import base64
from typing import Any

from vault.errors import KeyringError
from vault.model import N_

SERVICE = "handover"
INSECURE_MODULE_PREFIXES = ("keyrings.alt",)
INSECURE_NAMES = ("plaintext", "null", "fail", "uncrypted")


def _insecure(backend: Any) -> str | None:
    module = type(backend).__module__
    name = type(backend).__name__
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        return f"{module}.{name} stores nothing"
    if module.startswith(INSECURE_MODULE_PREFIXES) or any(
        word in name.lower() for word in INSECURE_NAMES
    ):
        return f"{module}.{name} keeps secrets in a file on disk"
    return None


def backend() -> Any:
    """The active keyring backend, or :class:`KeyringError` if it is missing or insecure."""
    import keyring
    from keyring.backends import chainer

    active = keyring.get_keyring()
    parts = list(active.backends) if isinstance(active, chainer.ChainerBackend) else [active]
    if not parts:
        raise KeyringError(
            N_(
                "no OS keyring is available (start a Secret Service such as gnome-keyring, "
                "or use the passphrase)"
            )
        )
    for part in parts:
        reason = _insecure(part)
        if reason:
            raise KeyringError(
                f"refusing the keyring backend: {reason}; use a Secret Service, macOS or "
                "Windows keyring, or the passphrase"
            )
    return active


def _call(action: str, fn: Any, *args: Any) -> Any:
    from keyring.errors import KeyringError as BackendError

    try:
        return fn(*args)
    except BackendError as exc:
        raise KeyringError(f"the OS keyring refused to {action}: {type(exc).__name__}") from None


def store(username: str, secret: bytes) -> None:
    kr = backend()
    _call("store a key", kr.set_password, SERVICE, username, base64.b64encode(secret).decode())


def load(username: str) -> bytes | None:
    kr = backend()
    value = _call("give a key", kr.get_password, SERVICE, username)
    return None if value is None else base64.b64decode(value)


def delete(username: str) -> None:
    """Forget a stored key; a key that is already gone is not an error."""
    from keyring.errors import KeyringError as BackendError
    from keyring.errors import PasswordDeleteError

    kr = backend()
    try:
        kr.delete_password(SERVICE, username)
    except PasswordDeleteError:
        return
    except BackendError as exc:
        raise KeyringError(
            f"the OS keyring refused to delete a key: {type(exc).__name__}"
        ) from None
