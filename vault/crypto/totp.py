"""TOTP seeds: reading ``otpauth://`` URIs and base32 seeds, and computing codes (RFC 6238).

Codes come from ``cryptography``'s TOTP. Many services issue 80-bit seeds, shorter than the
128 bits ``cryptography`` insists on by default, so key-length enforcement is relaxed to 80 bits
here rather than refused.
"""

from __future__ import annotations

import base64
import json
import re
from typing import NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

from vault.errors import InvalidInputError
from vault.model import N_, redacted

ALGORITHMS = ("SHA1", "SHA256", "SHA512")
MIN_SEED_BYTES = 10  # 80 bits


class TotpSeed(NamedTuple):
    secret: str  # base32, upper case, no padding
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    issuer: str | None = None
    label: str | None = None

    def __repr__(self) -> str:
        return redacted(self, "secret")

    def key(self) -> bytes:
        padded = self.secret + "=" * (-len(self.secret) % 8)
        return base64.b32decode(padded)

    def to_json(self) -> str:
        """The sealed form: sorted-key JSON, as ``json.dumps(..., sort_keys=True)`` writes it
        (spelled out, since an import seals 100,000 of them)."""
        if self.issuer is None and self.label is None:
            return (
                f'{{"algorithm": "{self.algorithm}", "digits": {self.digits}, "issuer": '
                f'null, "label": null, "period": {self.period}, "secret": "{self.secret}"}}'
            )
        return json.dumps(self._asdict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TotpSeed:
        return cls(**json.loads(text))

    def uri(self) -> str:
        label = quote(self.label or "handover", safe="@:")
        query = (
            f"secret={self.secret}&algorithm={self.algorithm}&digits={self.digits}"
            f"&period={self.period}"
        )
        if self.issuer:
            query += f"&issuer={quote(self.issuer)}"
        return f"otpauth://totp/{label}?{query}"

    def code(self, at: int) -> tuple[str, int]:
        """The code at Unix time ``at`` and the seconds it stays valid after ``at``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.twofactor.totp import TOTP

        algorithms: dict[str, hashes.SHA1 | hashes.SHA256 | hashes.SHA512] = {
            "SHA1": hashes.SHA1(),  # noqa: S303 - RFC 6238 TOTP, as services issue it
            "SHA256": hashes.SHA256(),
            "SHA512": hashes.SHA512(),
        }
        algorithm = algorithms[self.algorithm]
        totp = TOTP(self.key(), self.digits, algorithm, self.period, enforce_key_length=False)
        return totp.generate(at).decode(), self.period - at % self.period


BASE32 = re.compile(r"^[A-Z2-7]+\Z")


def _clean_secret(value: str) -> str:
    """The seed as canonical base32, checked without decoding it (decoding is pure Python and,
    over a 100,000-row import, slow): letters A-Z and 2-7, a length base32 can have."""
    cleaned = "".join(value.split()).upper().rstrip("=")
    if not BASE32.match(cleaned) or len(cleaned) % 8 in (1, 3, 6):
        raise InvalidInputError(N_("the TOTP seed is not valid base32"))
    bits = len(cleaned) * 5 // 8 * 8
    if bits < MIN_SEED_BYTES * 8:
        raise InvalidInputError(f"the TOTP seed has {bits} bits; at least 80 are needed")
    return cleaned


def parse(text: str) -> TotpSeed:
    """A seed from an ``otpauth://totp/...`` URI or a bare base32 secret."""
    text = text.strip()
    if not text:
        raise InvalidInputError(N_("no TOTP seed was given on standard input"))
    if not text.lower().startswith("otpauth://"):
        return TotpSeed(_clean_secret(text))
    parts = urlsplit(text)
    if parts.netloc.lower() != "totp":
        raise InvalidInputError(f"only otpauth://totp/ is supported, not {parts.netloc!r}")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if "secret" not in query:
        raise InvalidInputError(N_("the otpauth URI has no secret"))
    algorithm = query.get("algorithm", "SHA1").upper()
    if algorithm not in ALGORITHMS:
        raise InvalidInputError(
            f"unsupported TOTP algorithm {algorithm}: use SHA1, SHA256 or SHA512"
        )
    try:
        digits = int(query.get("digits", "6"))
        period = int(query.get("period", "30"))
    except ValueError:
        raise InvalidInputError(N_("digits and period of an otpauth URI must be numbers")) from None
    if not 6 <= digits <= 8:
        raise InvalidInputError(f"TOTP codes have 6 to 8 digits, not {digits}")
    if not 1 <= period <= 3600:
        raise InvalidInputError(f"a TOTP period of {period} seconds is not plausible")
    label = unquote(parts.path.lstrip("/")) or None
    issuer = query.get("issuer") or (label.partition(":")[0] if label and ":" in label else None)
    return TotpSeed(_clean_secret(query["secret"]), algorithm, digits, period, issuer, label)
