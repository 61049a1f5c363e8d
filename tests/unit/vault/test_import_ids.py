"""New ids of an import: fresh version 4 UUIDs, each batch's handed out in ascending order."""

from __future__ import annotations

from itertools import pairwise

from vault.exchange.import_accounts import BATCH, _Ids


def test_ids_are_fresh_random_and_ascend_within_a_batch() -> None:
    ids = _Ids()
    batches = []
    for _ in range(3):
        batches.append([ids.take(BATCH - i) for i in range(BATCH)])
    every = [u for batch in batches for u in batch]
    assert len(set(every)) == len(every) == 3 * BATCH
    assert {u.version for u in every} == {4}
    for batch in batches:
        # Pools grow (64, 64, 128, ...) but never outlast their batch: a batch is a few runs,
        # each ascending, and the first pool of a batch starts with it.
        breaks = sum(1 for a, b in pairwise(batch) if a.int > b.int)
        assert breaks <= 12
    assert batches[2] == sorted(batches[2], key=lambda u: u.int)  # one pool: the batch's size
