"""The verification state machine, transition by transition."""

import itertools

import pytest

from vault.errors import TransitionError
from vault.model import Status
from vault.records import verification

LEGAL = {
    ("unverified", "applied"),
    ("applied", "verified"),
    ("applied", "rejected"),
    ("verified", "lapsed"),
    ("rejected", "applied"),
    ("lapsed", "applied"),
}


# Allowed only with evidence: the platform verified it before anyone recorded the application.
WITH_EVIDENCE = {("unverified", "verified")}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(Status, Status)))
def test_every_pair(old: Status, new: Status) -> None:
    if (old.value, new.value) in LEGAL:
        verification.check("x:@a", old, new)
    elif (old.value, new.value) in WITH_EVIDENCE:
        with pytest.raises(TransitionError, match="only with --evidence"):
            verification.check("x:@a", old, new)
        verification.check("x:@a", old, new, "badge seen on 2026-03-01")
    else:
        with pytest.raises(TransitionError, match=f"cannot become {new.value}"):
            verification.check("x:@a", old, new, "any evidence")
