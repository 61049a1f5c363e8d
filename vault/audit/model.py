"""What an audit produces: findings with a rule id, severity, object, reason and remedy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.errors import InvalidInputError
from vault.model import as_dict

if TYPE_CHECKING:
    from vault.audit.snapshot import Accounts, Snapshot


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidInputError(
                f"unknown severity {value!r}: choose low, medium, high or critical"
            ) from None


_RANK = {severity: rank for rank, severity in enumerate(Severity)}


class Finding(NamedTuple):
    """One thing an audit found. A named tuple, not a dataclass: an audit of 100,000 accounts
    makes some 80,000 of them, and a tuple is made several times faster and is a third of the
    size."""

    rule: str
    severity: Severity
    object_type: str
    object: str
    level: str | None
    district: str | None
    post: str | None
    reason: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        # Spelled out: an audit of 100,000 accounts serialises tens of thousands of these.
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "object_type": self.object_type,
            "object": self.object,
            "level": self.level,
            "district": self.district,
            "post": self.post,
            "reason": self.reason,
            "remedy": self.remedy,
        }


Check = Callable[["Snapshot", "Rule"], Iterable[Finding]]
AccountCheck = Callable[["Snapshot", "Rule", "Accounts"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """An audit rule: its id, default severity, what it looks for, and how to fix it.

    ``each`` looks at the accounts a batch at a time, as they are read, so that an audit does
    not hold every account at once; ``check`` looks at the whole registry once they have all
    been read. A rule has either or both."""

    id: str
    severity: Severity
    title: str
    remedy: str
    check: Check | None = None
    each: AccountCheck | None = None
    needs_secrets: bool = False

    def finding(
        self,
        object_type: str,
        obj: str,
        reason: str,
        where: tuple[str | None, str | None, str | None] = (None, None, None),
        severity: Severity | None = None,
    ) -> Finding:
        level, district, post = where
        return Finding(
            self.id,
            severity or self.severity,
            object_type,
            obj,
            level,
            district,
            post,
            reason,
            self.remedy,
        )


class Report(NamedTuple):
    findings: list[Finding]
    rollup: list[dict[str, Any]]
    counts: dict[str, int]
    secrets_checked: bool
    rules_run: int = 0

    def worst(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)
