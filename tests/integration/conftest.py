"""Fixtures shared by the integration tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.integration.fixtures import Pair, make_pair


@pytest.fixture
def pair(templates, clone: Callable[[Cli], Cli], tmp_path: Path) -> Pair:  # type: ignore[no-untyped-def]
    """Registries A and B with identities and cards exchanged, cloned for this test."""
    template: Pair = templates("pair", make_pair)
    for card in ("asha.card", "ravi.card"):
        shutil.copy(template.dir / card, tmp_path / card)
    return Pair(clone(template.a), clone(template.b), tmp_path)
