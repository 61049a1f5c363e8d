"""Sealed values open only in their own place and under their own key."""

import uuid

import pytest

from vault.crypto.seal import DataKey, Sealer, key_id_of
from vault.errors import SealError

ROW_A, ROW_B = uuid.uuid4(), uuid.uuid4()


def test_round_trip_and_fresh_nonce() -> None:
    sealer = Sealer(DataKey.generate())
    one = sealer.seal("accounts", "password_sealed", ROW_A, b"S3cret")
    two = sealer.seal("accounts", "password_sealed", ROW_A, b"S3cret")
    assert one != two
    assert sealer.open("accounts", "password_sealed", ROW_A, one) == b"S3cret"
    assert sealer.open("accounts", "password_sealed", ROW_A.bytes, one) == b"S3cret"
    assert key_id_of(one) == sealer.key_id


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [
        ("accounts", "password_sealed", ROW_B),
        ("accounts", "notes_sealed", ROW_A),
        ("identities", "password_sealed", ROW_A),
    ],
    ids=["other-row", "other-column", "other-table"],
)
def test_moved_ciphertext_does_not_open(table: str, column: str, row: uuid.UUID) -> None:
    sealer = Sealer(DataKey.generate())
    blob = sealer.seal("accounts", "password_sealed", ROW_A, b"S3cret")
    with pytest.raises(SealError):
        sealer.open(table, column, row, blob)
    with pytest.raises(SealError):
        sealer.open(table, column, row.bytes, blob)


def test_other_key_and_relabelled_key_id_do_not_open() -> None:
    key = DataKey.generate()
    blob = Sealer(key).seal("accounts", "password_sealed", ROW_A, b"S3cret")
    with pytest.raises(SealError):
        Sealer(DataKey.generate()).open("accounts", "password_sealed", ROW_A, blob)
    impostor = DataKey(uuid.uuid4(), key.secret)
    relabelled = blob[:1] + impostor.id.bytes + blob[17:]
    with pytest.raises(SealError):
        Sealer(impostor).open("accounts", "password_sealed", ROW_A, relabelled)


@pytest.mark.parametrize("cut", [0, 1, 20, 40, -1])
def test_truncated_or_flipped(cut: int) -> None:
    sealer = Sealer(DataKey.generate())
    blob = sealer.seal("accounts", "password_sealed", ROW_A, b"S3cret")
    with pytest.raises(SealError):
        sealer.open("accounts", "password_sealed", ROW_A, blob[:cut])
    flipped = bytearray(blob)
    flipped[cut] ^= 1
    with pytest.raises(SealError):
        sealer.open("accounts", "password_sealed", ROW_A, bytes(flipped))


def test_key_bytes_never_in_repr() -> None:
    key = DataKey.generate()
    assert key.secret.hex() not in repr(key)
    assert repr(key.secret) not in repr(key)


def test_the_cached_associated_data_is_the_specified_one() -> None:
    from vault.crypto.seal import associated_data

    sealer = Sealer(DataKey.generate())
    for row in (ROW_A, ROW_B, uuid.UUID(int=0)):
        assert sealer._ad("accounts", "notes_sealed", row) == associated_data(
            "accounts", "notes_sealed", row, sealer.key_id
        )
