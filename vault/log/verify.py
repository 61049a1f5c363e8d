"""Verifying the event log: the hash chain recomputed from its first entry, held against
signed checkpoints.

Against a checkpoint (size and head hash, signed, kept outside the database), verification catches
what the chain alone cannot: a tail cut after the checkpoint, or a history rewritten from its first
entry on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vault.store import reads
from vault.store.journal import GENESIS, OVERRIDDEN, content_of, entry_hash, parse_entry


@dataclass(frozen=True)
class Break:
    """Where and how the chain first fails to verify."""

    seq: int
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    """A claim that the log had ``size`` entries ending in ``head_hash``."""

    size: int
    head_hash: str
    label: str


@dataclass(frozen=True)
class Verification:
    """The chain recomputed; also what the entries say about time.

    ``back_in_time`` counts entries dated before their predecessor (handover refuses to write
    them; a registry edited by hand, or written by handover before version 0.2, may hold some),
    ``first_back_in_time`` is the first; ``clock_overrides`` counts entries made under
    ``HANDOVER_NOW`` and ``last_override`` is when the last one says it was made.
    """

    size: int
    head: str
    first_break: Break | None
    checkpoints_checked: int
    back_in_time: int = 0
    first_back_in_time: int | None = None
    clock_overrides: int = 0
    last_override: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(conn: Any, checkpoints: Iterable[Checkpoint] = ()) -> Verification:
    """Recompute the chain from the first entry, and hold it against every checkpoint given.

    Entries are read in the order of their stored position, so a reordering shows up as a wrong
    sequence number or a broken link at the first moved entry, an edit as a wrong hash, a deletion
    as a gap, and a cut tail as a checkpoint whose size the log no longer reaches.
    """
    given = list(checkpoints)
    wanted: dict[int, list[Checkpoint]] = {}
    for cp in given:
        wanted.setdefault(cp.size, []).append(cp)
    prev = GENESIS
    count = 0
    first: Break | None = None
    prev_at: dt.datetime | None = None
    back, first_back, overrides, last_override = 0, None, 0, None
    rows = reads.reader(conn).stream("events_raw")
    for raw in rows:
        count += 1
        expected_seq = count
        try:
            row = parse_entry(raw)
        except (ValueError, TypeError):
            first = Break(
                expected_seq,
                f"entry {expected_seq} is malformed (its id, time or details cannot be read): "
                "it was edited",
            )
            break
        if row.seq != expected_seq:
            first = Break(
                expected_seq,
                f"entry {expected_seq} is missing or moved "
                f"(found entry numbered {row.seq} in its place)",
            )
            break
        if row.prev_hash != prev:
            first = Break(row.seq, f"entry {row.seq} does not link to entry {row.seq - 1}")
            break
        content = content_of(row)
        if entry_hash(prev, content) != row.hash:
            first = Break(row.seq, f"entry {row.seq} was altered (its hash does not match)")
            break
        for cp in wanted.get(row.seq, ()):
            if cp.head_hash != row.hash:
                first = Break(
                    row.seq,
                    f"entry {row.seq} differs from checkpoint {cp.label}: history was rewritten",
                )
                break
        if first is not None:
            break
        if prev_at is not None and row.at < prev_at:
            back += 1
            first_back = first_back or row.seq
        if OVERRIDDEN in row.details_parsed:
            overrides += 1
            last_override = row.at
        prev, prev_at = row.hash, row.at
    size = count if first is None else first.seq - 1
    if first is None:
        for cp_size in sorted(wanted):
            if cp_size > count:
                cp = wanted[cp_size][0]
                first = Break(
                    count + 1,
                    f"the log ends at entry {count} but checkpoint "
                    f"{cp.label} saw {cp.size} entries: its tail was cut",
                )
                break
            if cp_size == 0 and any(c.head_hash != GENESIS for c in wanted[cp_size]):
                first = Break(1, "an empty-log checkpoint does not match")
                break
    return Verification(size, prev, first, len(given), back, first_back, overrides, last_override)
