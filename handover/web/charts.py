"""Bar charts drawn on the server as SVG: numbers in, rectangles out, no script.

Each bar links to the list it counts; a bar may be split into parts (verification states,
severities), each a CSS class the stylesheet colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 220
BAR_SPACE = 340
ROW = 24


@dataclass(frozen=True)
class Part:
    kind: str
    x: float
    width: float
    title: str


@dataclass(frozen=True)
class Bar:
    label: str
    href: str
    y: int
    parts: tuple[Part, ...]
    total: int
    end: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]
    width: int
    height: int


def bars(
    title: str,
    rows: Sequence[tuple[str, str, Sequence[tuple[str, int, str]]]],
    legend: Sequence[tuple[str, str]] = (),
) -> Chart:
    """A chart of ``rows``: (label, link, [(kind, count, tooltip), ...]) each, drawn to one
    scale, the largest total filling the width."""
    most = max((sum(n for _k, n, _t in parts) for _l, _h, parts in rows), default=0) or 1
    drawn = []
    for i, (label, href, parts) in enumerate(rows):
        x = float(LABEL_WIDTH)
        pieces = []
        for kind, n, tip in parts:
            if n:
                width = BAR_SPACE * n / most
                pieces.append(Part(kind, round(x, 1), round(width, 1), f"{tip}: {n}"))
                x += width
        drawn.append(
            Bar(label, href, i * ROW + 4, tuple(pieces), sum(n for _k, n, _t in parts), round(x, 1))
        )
    return Chart(
        title,
        tuple(drawn),
        tuple(legend),
        LABEL_WIDTH + BAR_SPACE + 50,
        max(len(rows), 1) * ROW + 8,
    )
