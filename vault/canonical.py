"""RFC 8785 (JCS) canonical JSON: the one encoding of structured data that is hashed or signed.

The event log hashes it, and packets, receipts, cards, checkpoints, backups and identity files
sign or authenticate it; each must produce and accept exactly these bytes.
"""

from __future__ import annotations

import json
from typing import Any


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds only what JCS and ``json.dumps`` encode alike: ASCII keys,
    strings, integers within JavaScript's safe range, booleans, nulls, lists and objects."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -(2**53) < value < 2**53
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain_json(v) for k, v in value.items())
    return False


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value.

    For plain values (see :func:`_plain_json`) the standard library's encoder, with sorted keys
    and no spaces, writes exactly these bytes, forty times faster than the pure-Python
    ``rfc8785`` package; verifying a long event log depends on it. Anything else (floats,
    non-ASCII keys, whose order JCS defines by UTF-16) goes to ``rfc8785``. A property test
    holds the two to the same output.
    """
    if _plain_json(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    import rfc8785

    return bytes(rfc8785.dumps(value))
