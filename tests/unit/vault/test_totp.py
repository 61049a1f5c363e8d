"""TOTP against RFC 6238's test vectors and real otpauth URIs."""

import pytest

from vault.crypto import totp
from vault.errors import InvalidInputError

SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
# RFC 6238, appendix B: (time, SHA1, SHA256, SHA512), 8 digits, 30 s.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


def _seed(algorithm: str) -> totp.TotpSeed:
    import base64

    secret = base64.b32encode(SEEDS[algorithm]).decode().rstrip("=")
    return totp.TotpSeed(secret, algorithm, 8, 30)


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    assert _seed("SHA1").code(at)[0] == sha1
    assert _seed("SHA256").code(at)[0] == sha256
    assert _seed("SHA512").code(at)[0] == sha512


def test_seconds_remaining() -> None:
    assert _seed("SHA1").code(59)[1] == 1
    assert _seed("SHA1").code(60)[1] == 30


def test_otpauth_uri_with_80_bit_seed_and_sha256() -> None:
    seed = totp.parse(
        "otpauth://totp/Meta:collector%40gujarat.gov.in?secret=JBSWY3DPEHPK3PXP"
        "&issuer=Meta&algorithm=SHA256&digits=7&period=60"
    )
    assert (seed.algorithm, seed.digits, seed.period, seed.issuer) == ("SHA256", 7, 60, "Meta")
    assert seed.label == "Meta:collector@gujarat.gov.in"
    assert len(seed.key()) == 10
    code, remaining = seed.code(1_700_000_000)
    assert len(code) == 7 and code.isdigit()
    assert remaining == 60 - 1_700_000_000 % 60
    assert totp.parse(seed.uri()) == seed


def test_bare_base32_seed_with_spaces_and_lower_case() -> None:
    assert totp.parse("jbsw y3dp ehpk 3pxp").secret == "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no TOTP seed"),
        ("not base32!", "not valid base32"),
        ("JBSWY3DP", "at least 80"),
        ("otpauth://hotp/X?secret=JBSWY3DPEHPK3PXP&counter=1", "only otpauth://totp/"),
        ("otpauth://totp/X?issuer=X", "no secret"),
        ("otpauth://totp/X?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "unsupported"),
        ("otpauth://totp/X?secret=JBSWY3DPEHPK3PXP&digits=9", "6 to 8 digits"),
        ("otpauth://totp/X?secret=JBSWY3DPEHPK3PXP&period=0", "not plausible"),
    ],
    ids=[
        "empty",
        "not-base32",
        "short-seed",
        "hotp",
        "no-secret",
        "md5",
        "9-digits",
        "zero-period",
    ],
)
def test_bad_seeds(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        totp.parse(text)


def test_sealed_form_is_sorted_json() -> None:
    import json

    for seed in (
        totp.parse("JBSWY3DPEHPK3PXP"),
        totp.parse("otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A"),
    ):
        assert seed.to_json() == json.dumps(seed._asdict(), sort_keys=True)
        assert totp.TotpSeed.from_json(seed.to_json()) == seed
