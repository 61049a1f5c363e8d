"""Platform verification of an account, as a state machine with a recorded history.

``unverified -> applied -> verified | rejected`` and ``verified -> lapsed`` are the circular's
path; a rejected or lapsed account may apply again; and an account the platform verified before
anyone recorded its application goes ``unverified -> verified`` directly, with evidence (the
badge, the platform's letter). Anything else is an error, so the history always tells a story an
auditor can follow. A new account may start in any state (an IT cell
registers accounts that were verified years ago); the starting state is the first history entry.
"""

from __future__ import annotations

from vault.errors import TransitionError
from vault.model import Status

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.UNVERIFIED: frozenset({Status.APPLIED, Status.VERIFIED}),
    Status.APPLIED: frozenset({Status.VERIFIED, Status.REJECTED}),
    Status.VERIFIED: frozenset({Status.LAPSED}),
    Status.REJECTED: frozenset({Status.APPLIED}),
    Status.LAPSED: frozenset({Status.APPLIED}),
}


# Transitions that skip a step the history would otherwise show: allowed only with evidence.
NEEDS_EVIDENCE = frozenset({(Status.UNVERIFIED, Status.VERIFIED)})


def check(ref: str, current: Status, new: Status, evidence: str | None = None) -> None:
    """Raise :class:`TransitionError` unless ``current -> new`` is allowed (with evidence,
    where the transition needs it)."""
    if new in ALLOWED[current]:
        if (current, new) in NEEDS_EVIDENCE and not (evidence or "").strip():
            raise TransitionError(
                f"{ref} goes from {current.value} to {new.value} only with --evidence (the "
                "badge, the platform's letter): no application was recorded"
            )
        return
    allowed = ", ".join(sorted(s.value for s in ALLOWED[current]))
    raise TransitionError(
        f"{ref} is {current.value}; it cannot become {new.value} (from {current.value} "
        f"it can become: {allowed})"
    )
