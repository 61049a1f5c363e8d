"""The audit's shortcuts give what their plain definitions give: a reuse group's members named
by looking at the first few only, and findings ordered a rule at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vault.audit import _ordered
from vault.audit.model import Finding, Severity
from vault.audit.rules import NAMED, _others

REFS = st.lists(st.sampled_from([f"x:@{c}{i}" for c in "az" for i in range(9)]), unique=True)


def _plainly(refs: list[str], ref: str) -> str:
    others = [x for x in refs if x != ref]
    if len(others) <= NAMED:
        return ", ".join(others)
    return f"{', '.join(others[:NAMED])} and {len(others) - NAMED} more"


@settings(max_examples=400, deadline=None)
@given(REFS)
def test_a_reuse_group_is_named_as_plainly_defined(refs: list[str]) -> None:
    refs = sorted([*refs, "x:@me"])  # an account is in its group once
    assert _others(refs, "x:@me") == _plainly(refs, "x:@me")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Severity)),
            st.sampled_from(["password.weak", "contact.personal", "post.vacant"]),
            st.sampled_from(["b", "a", "c"]),
            st.integers(0, 1000),
        ),
        max_size=40,
    )
)
def test_findings_are_ordered_as_one_stable_sort(
    made: list[tuple[Severity, str, str, int]],
) -> None:
    findings = [
        Finding(rule, severity, "account", obj, None, None, None, str(n), "")
        for severity, rule, obj, n in made
    ]
    expected = sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.object))
    assert _ordered(findings) == expected
