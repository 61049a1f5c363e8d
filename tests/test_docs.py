"""The documents point where they say: every relative link in README.md and docs/ names a file
in the repository, and none leaves it (a reader of a copy has nothing else)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _links() -> list[tuple[Path, str]]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [
        (page, target)
        for page in pages
        for target in LINK.findall(page.read_text(encoding="utf-8"))
        if "://" not in target and not target.startswith("mailto:")
    ]


def test_every_relative_link_names_a_file_in_the_repository() -> None:
    links = _links()
    assert len(links) > 20
    broken = []
    for page, target in links:
        resolved = (page.parent / target).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_readme_names_no_path_outside_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../" not in text
