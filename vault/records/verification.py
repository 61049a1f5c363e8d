"""Platform verification of an account, as a state machine with a recorded history.

``unverified -> applied -> verified | rejected`` and ``verified -> lapsed`` are the circular's
path; a rejected or lapsed account may apply again. Anything else is an error, so the history
always tells a story an auditor can follow. A new account may start in any state (an IT cell
registers accounts that were verified years ago); the starting state is the first history entry.
"""

from __future__ import annotations

from vault.errors import TransitionError
from vault.model import Status

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.UNVERIFIED: frozenset({Status.APPLIED}),
    Status.APPLIED: frozenset({Status.VERIFIED, Status.REJECTED}),
    Status.VERIFIED: frozenset({Status.LAPSED}),
    Status.REJECTED: frozenset({Status.APPLIED}),
    Status.LAPSED: frozenset({Status.APPLIED}),
}


def check(ref: str, current: Status, new: Status) -> None:
    """Raise :class:`TransitionError` unless ``current -> new`` is allowed."""
    if new in ALLOWED[current]:
        return
    allowed = ", ".join(sorted(s.value for s in ALLOWED[current]))
    raise TransitionError(
        f"{ref} is {current.value}; it cannot become {new.value} (from {current.value} "
        f"it can become: {allowed})"
    )
