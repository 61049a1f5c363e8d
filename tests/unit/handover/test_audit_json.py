"""The audit's findings written out field by field are the text ``json`` writes for them."""

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
    written = finding_json(finding)
    assert written == json.dumps(finding.to_dict(), ensure_ascii=False)
    assert json.loads(written) == finding.to_dict()
