"""The audit's findings written out field by field are the text ``json`` writes for them.

``finding_json`` and ``Finding.to_dict`` each spell out the fields for speed; both are held here
to ``Finding._fields`` itself, so a field added to, taken from or moved in ``Finding`` fails this
test rather than going missing from every audit's JSON."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from handover.reports import finding_json
from vault.audit.model import Finding, Severity

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@given(
    st.tuples(
        TEXT,
        st.sampled_from(Severity),
        TEXT,
        TEXT,
        st.none() | TEXT,
        st.none() | TEXT,
        st.none() | TEXT,
        TEXT,
        TEXT,
    )
)
def test_a_finding_is_written_as_json_writes_it(fields: tuple[object, ...]) -> None:
    finding = Finding(*fields)  # type: ignore[arg-type]
    plain = {
        name: value.value if isinstance(value, Severity) else value
        for name, value in zip(Finding._fields, finding, strict=True)
    }
    assert finding_json(finding) == json.dumps(plain, ensure_ascii=False)
    assert finding.to_dict() == plain
    assert list(finding.to_dict()) == list(Finding._fields)
