"""A realistic department, as the CSV files an IT cell would import: for the benchmark and tests.

33 districts; posts at state, head-of-department and district level (collectors, information
officers, development officers, then taluka posts as the size grows); one holder per post; five
accounts per post across platforms, registered with the post's official email and phone; mixed
verification states; and, with ``secrets``, a password and a TOTP seed on every account (a few
passwords reused, so the audit's reuse rule has something to find). Deterministic for a size.
"""

from __future__ import annotations

import base64
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

DISTRICTS = (
    "Ahmedabad", "Amreli", "Anand", "Aravalli", "Banaskantha", "Bharuch", "Bhavnagar", "Botad",
    "Chhota Udaipur", "Dahod", "Dang", "Devbhoomi Dwarka", "Gandhinagar", "Gir Somnath",
    "Jamnagar", "Junagadh", "Kheda", "Kutch", "Mahisagar", "Mehsana", "Morbi", "Narmada",
    "Navsari", "Panchmahal", "Patan", "Porbandar", "Rajkot", "Sabarkantha", "Surat",
    "Surendranagar", "Tapi", "Vadodara", "Valsad",
)  # fmt: skip
STATE_POSTS = ("revenue-secretary", "gad-secretary", "home-secretary", "info-commissioner")
HOD_POSTS = (
    "relief-commissioner",
    "collector-of-stamps",
    "settlement-commissioner",
    "director-information",
    "director-panchayats",
    "land-records",
)
DISTRICT_ROLES = ("collector", "dio", "ddo", "sp", "rac", "dso")
PLATFORMS = ("x", "facebook", "instagram", "youtube", "whatsapp")
STATES = ("verified", "verified", "applied", "unverified", "verified", "lapsed", "rejected")
ACCOUNTS_PER_POST = len(PLATFORMS)
DOMAIN = "gujarat.gov.in"


@dataclass(frozen=True)
class Dataset:
    posts: Path
    officers: Path
    accounts: Path
    groups: Path
    post_count: int
    account_count: int


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def post_slugs(accounts: int) -> list[tuple[str, str, str | None]]:
    """(slug, level, district) for enough posts to hold ``accounts`` accounts."""
    wanted = max(1, -(-accounts // ACCOUNTS_PER_POST))
    found: list[tuple[str, str, str | None]] = [(s, "state", None) for s in STATE_POSTS]
    found += [(s, "hod", None) for s in HOD_POSTS]
    for role in DISTRICT_ROLES:
        found += [(f"{role}-{_slug(d)}", "district", d) for d in DISTRICTS]
    taluka = 1
    while len(found) < wanted:
        found += [(f"taluka-{taluka}-{_slug(d)}", "district", d) for d in DISTRICTS]
        taluka += 1
    return found[:wanted]


def _phone(n: int) -> str:
    return f"+9199{n:08d}"


def _password(n: int) -> str:
    if n % 97 == 0:
        return "Collector@123"  # reused on purpose: the audit must find it
    return "pw-" + hashlib.sha256(f"pw{n}".encode()).hexdigest()[:16]


def _seed(n: int) -> str:
    raw = hashlib.sha256(f"seed{n}".encode()).digest()[:20]
    return base64.b32encode(raw).decode().rstrip("=")


def write(folder: Path, accounts: int, *, secrets: bool = True) -> Dataset:
    folder.mkdir(parents=True, exist_ok=True)
    posts = post_slugs(accounts)
    paths = Dataset(
        folder / "posts.csv",
        folder / "officers.csv",
        folder / "accounts.csv",
        folder / "groups.csv",
        len(posts),
        0,
    )
    with paths.posts.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["slug", "title", "level", "district", "department", "email", "phone"])
        for i, (slug, level, district) in enumerate(posts):
            title = slug.replace("-", " ").title()
            w.writerow(
                [slug, title, level, district or "", "Revenue", f"{slug}@{DOMAIN}", _phone(i)]
            )
    with paths.officers.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["service_id", "name", "grade", "email", "phone", "post", "from"])
        for i, (slug, _level, _district) in enumerate(posts):
            grade = "super time scale" if i % 3 == 0 else "selection grade"
            w.writerow(
                [
                    f"off-{i:06d}",
                    f"Officer {i}",
                    grade,
                    "",
                    _phone(500_000 + i) if i % 3 == 0 else "",
                    slug,
                    "2025-06-01",
                ]
            )
    count = 0
    with paths.accounts.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "platform",
                "handle",
                "post",
                "login_email",
                "login_phone",
                "twofa",
                "verification",
                "verification_date",
                "password",
                "totp",
            ]
        )
        for i, (slug, _level, _district) in enumerate(posts):
            for platform in PLATFORMS:
                if count == accounts:
                    break
                handle = (
                    f"+91{90_000_000_00 + count}"
                    if platform == "whatsapp"
                    else f"@{slug.replace('-', '_')}_{platform[:2]}"
                )
                state = STATES[count % len(STATES)]
                w.writerow(
                    [
                        platform,
                        handle,
                        slug,
                        f"{slug}@{DOMAIN}",
                        _phone(i),
                        "totp" if secrets else "sms",
                        state,
                        "2026-01-15" if state != "unverified" else "",
                        _password(count) if secrets else "",
                        _seed(count) if secrets else "",
                    ]
                )
                count += 1
    with paths.groups.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["slug", "name", "level", "district", "department", "platform", "admins"])
        w.writerow(
            [
                "state-revenue",
                "Revenue Department",
                "state",
                "",
                "Revenue",
                "whatsapp",
                "revenue-secretary",
            ]
        )
        for district in DISTRICTS:
            admin = f"collector-{_slug(district)}"
            admins = admin if any(p[0] == admin for p in posts) else ""
            w.writerow(
                [
                    f"district-{_slug(district)}",
                    f"{district} district officers",
                    "district",
                    district,
                    "",
                    "whatsapp",
                    admins,
                ]
            )
    return Dataset(paths.posts, paths.officers, paths.accounts, paths.groups, len(posts), count)


def write_post(folder: Path, accounts: int) -> Dataset:
    """One district post held by one officer, with ``accounts`` accounts, each with a password
    and a TOTP seed: what ``packet create`` and ``packet claim`` carry."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = Dataset(
        folder / "posts.csv", folder / "officers.csv", folder / "accounts.csv",
        folder / "groups.csv", 1, accounts,
    )  # fmt: skip
    paths.posts.write_text(
        "slug,title,level,district,email,phone\n"
        f"collector-bench,Collector,district,Ahmedabad,collector-bench@{DOMAIN},+919900099999\n"
    )
    paths.officers.write_text(
        "service_id,name,grade,post,from\n"
        "ias-0042,Asha Mehta,super time scale,collector-bench,2025-06-01\n"
    )
    with paths.accounts.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["platform", "handle", "post", "login_email", "password", "totp"])
        for i in range(accounts):
            platform = PLATFORMS[i % len(PLATFORMS)]
            handle = f"+91{90_000_000_00 + i}" if platform == "whatsapp" else f"@bench_{i}"
            w.writerow(
                [platform, handle, "collector-bench", f"collector-bench@{DOMAIN}",
                 _password(i), _seed(i)]
            )  # fmt: skip
    paths.groups.write_text("slug,name,level,district,department,platform,admins\n")
    return paths
