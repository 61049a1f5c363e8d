"""What creating a registry returns never shows its recovery code where it could be seen by
accident: in a traceback, a log line or a debugger, each of which shows a value's ``repr``."""

from __future__ import annotations

import uuid

from vault.crypto.kdf import new_recovery_code
from vault.records.bootstrap import Created


def test_the_recovery_code_is_not_in_repr() -> None:
    code = new_recovery_code()
    created = Created("registry.db", uuid.uuid4(), code, False, False, None, None)
    for shown in (repr(created), str(created), f"{created}", repr([created])):
        assert code not in shown
        assert code.replace("-", "") not in shown
        assert "registry.db" in shown  # the rest of the record still shows
    assert created.recovery_code == code
