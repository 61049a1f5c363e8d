"""What keeps the local server local, tried against a running ``handover serve``: the start
token, the Host header, CSRF and origins, the loopback-only sockets, the headers, the upload
limit, the idle lock and "Lock"; and bad input through the forms, which gets the command line's
own one-line message beside the field. Every page is screenshotted in the three languages, and
Gujarati and Devanagari text is checked to be drawn with the shipped fonts."""

from __future__ import annotations

import http.client
import re
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Cli
from tests.integration.test_flows import POST, Office, build_office
from tests.web.conftest import (
    Browser,
    Server,
    click,
    fill,
    go,
    sign_in,
    start_server,
    text,
    wait,
)

pytestmark = [pytest.mark.web, pytest.mark.xdist_group(name="web-security")]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    """One IT cell registry for the module (the tests that change it check their own rows)."""
    from tests.conftest import _cli_factory, _new_location

    root = tmp_path_factory.mktemp("security")
    made: list[str] = []
    return build_office(_cli_factory(root, lambda n: _new_location(root, n, made)), root)


@pytest.fixture(scope="module")
def server(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(office.a, tmp_path_factory.mktemp("out"))
    yield running
    running.stop()


def request(
    server: Server,
    method: str,
    path: str,
    *,
    host: str | None = None,
    cookie: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    sent = {"Host": host or f"127.0.0.1:{server.port}", **(headers or {})}
    if cookie:
        sent["Cookie"] = cookie
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    response.read()
    return response


def session_cookie(browser: Browser, server: Server) -> str:
    value = browser.driver.get_cookie(f"handover_session_{server.port}")["value"]
    return f"handover_session_{server.port}={value}"


def csrf_of(browser: Browser) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', browser.driver.page_source)
    assert found
    return found[1]


def test_the_start_token_opens_one_session_then_is_useless(
    browser: Browser, server: Server
) -> None:
    assert request(server, "GET", "/").status == 403  # no session yet
    assert request(server, "GET", "/start?token=wrong").status == 403
    first = request(server, "GET", f"/start?token={server.token}", host=f"localhost:{server.port}")
    assert first.status == 303
    cookie = first.getheader("Set-Cookie") or ""
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert request(server, "GET", f"/start?token={server.token}").status == 403  # spent
    value = cookie.split(";", 1)[0]
    assert request(server, "GET", "/", cookie=value).status == 303  # in, to the unlock page
    assert request(server, "GET", "/", cookie=value + "x").status == 403
    go(browser, server.url)  # a browser with the spent address: refused too
    assert (
        text(browser, "body")
        == "handover: this address was used already: start 'handover serve' again"
    )
    browser.collect()
    browser.console.clear()  # the refusal is logged as a failed load: expected here


@pytest.fixture(scope="module")
def signed_in(
    browser: Browser, office: Office, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A second server, signed in through the browser, for the tests that need a session."""
    running = start_server(office.a, tmp_path_factory.mktemp("out2"))
    sign_in(browser, running)
    yield running
    running.stop()


def test_a_forged_host_is_refused(browser: Browser, signed_in: Server) -> None:
    cookie = session_cookie(browser, signed_in)
    assert request(signed_in, "GET", "/posts", cookie=cookie).status == 200
    port = signed_in.port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.nip.io:{port}",
                 f"127.0.0.1:{port + 1}"):  # fmt: skip
        assert request(signed_in, "GET", "/posts", host=host, cookie=cookie).status == 400, host


def test_a_change_without_the_csrf_token_or_from_elsewhere_writes_nothing(
    browser: Browser, signed_in: Server, office: Office
) -> None:
    go(browser, f"{signed_in.base}/posts/new")
    cookie, csrf = session_cookie(browser, signed_in), csrf_of(browser)
    before = office.a.dump()
    form = {"slug": "forged-post", "title": "Forged", "level": "state"}
    own = {"Content-Type": "application/x-www-form-urlencoded",
           "Origin": signed_in.base, "Sec-Fetch-Site": "same-origin"}  # fmt: skip
    for body, headers in (
        (form, own),  # no token
        ({**form, "csrf": "not-the-token"}, own),
        ({**form, "csrf": csrf}, {**own, "Origin": "http://evil.example"}),
        ({**form, "csrf": csrf}, {**own, "Origin": "null"}),
        ({**form, "csrf": csrf}, {**own, "Sec-Fetch-Site": "cross-site"}),
    ):
        sent = urllib.parse.urlencode(body).encode()
        answer = request(signed_in, "POST", "/posts/new", cookie=cookie, body=sent, headers=headers)
        assert answer.status == 403, (body, headers)
    assert office.a.dump() == before
    # The same form with its token, from this page: written (so the refusals above were real).
    sent = urllib.parse.urlencode({**form, "csrf": csrf}).encode()
    assert (
        request(signed_in, "POST", "/posts/new", cookie=cookie, body=sent, headers=own).status
        == 303
    )
    assert office.a.json("post", "show", "forged-post")["post"]["title"] == "Forged"
    office.a.ok("post", "abolish", "forged-post", "--reason", "made by a test")


def test_only_the_loopback_addresses_listen(server: Server) -> None:
    """The sockets the server holds, as the kernel lists them, and a connection to this
    machine's own outward address on the same port."""
    local = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            address, port = line.split()[1].split(":")
            if int(port, 16) == server.port and line.split()[3] == "0A":  # LISTEN
                local.add(address)
    assert local <= {"0100007F", "00000000000000000000000001000000"}, local
    assert "0100007F" in local
    outward = _outward_address()
    if outward is not None:
        with pytest.raises(OSError):
            socket.create_connection((outward, server.port), timeout=5)


def _outward_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        found = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if found.startswith("127.") else found


def test_headers_forbid_caching_framing_and_foreign_script(
    browser: Browser, signed_in: Server
) -> None:
    answer = request(signed_in, "GET", "/accounts", cookie=session_cookie(browser, signed_in))
    assert answer.getheader("Cache-Control") == "no-store"
    csp = answer.getheader("Content-Security-Policy") or ""
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    assert answer.getheader("X-Frame-Options") == "DENY"


def test_an_upload_over_the_limit_is_refused_unread(
    browser: Browser, signed_in: Server, office: Office
) -> None:
    go(browser, f"{signed_in.base}/take")
    cookie, csrf = session_cookie(browser, signed_in), csrf_of(browser)
    before = office.a.dump()
    boundary = "xyzzy"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="packet"; filename="p.handover"'
            f"\r\n\r\n"
        ).encode()
        + b"x" * (3 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "Origin": signed_in.base}  # fmt: skip
    answer = request(signed_in, "POST", "/take", cookie=cookie, body=body, headers=headers)
    assert answer.status == 413
    assert office.a.dump() == before


# Bad input through the forms: the message the command line prints, beside the field.
FORM_CASES = {
    "post-email": (
        "/posts/new",
        {"slug": "dio-surat", "title": "DIO, Surat", "level": "district", "district": "Surat",
         "email": "dio.surat@gmail.com"},
        "email",
        ["post", "add", "dio-surat", "--title", "DIO, Surat", "--level", "district",
         "--district", "Surat", "--email", "dio.surat@gmail.com"],
    ),
    "post-slug": (
        "/posts/new",
        {"slug": "DIO Surat!", "title": "DIO, Surat", "level": "district"},
        "slug",
        ["post", "add", "DIO Surat!", "--title", "DIO, Surat", "--level", "district"],
    ),
    "account-personal-email": (
        "/account/new",
        {"ref": "instagram:collectorahd", "post": POST, "login_email": "asha.mehta@gmail.com"},
        "login_email",
        ["account", "add", "instagram:collectorahd", "--post", POST,
         "--login-email", "asha.mehta@gmail.com"],
    ),
    "post-edit-personal-email": (
        f"/posts/edit/{POST}",
        {"email": "collector.ahd@gmail.com"},
        "email",
        ["post", "edit", POST, "--email", "collector.ahd@gmail.com"],
    ),
    "officer-id": (
        "/officers/new",
        {"service_id": "IAS 42!", "name": "Meena Shah"},
        "service_id",
        ["officer", "add", "IAS 42!", "--name", "Meena Shah"],
    ),
    "group-unknown-admin": (
        "/groups/new",
        {"slug": "kheda-officers", "name": "Kheda officers", "level": "district",
         "district": "Kheda", "admins": "no-such-post"},
        "admins",
        ["group", "add", "kheda-officers", "--name", "Kheda officers", "--level", "district",
         "--district", "Kheda", "--admin", "no-such-post"],
    ),
    "verification-not-allowed": (
        "/accounts/x:@CollectorAhd",
        {"status": "applied", "evidence": "letter of 01/12/2026"},
        "status",
        ["account", "verify", "x:@CollectorAhd", "--status", "applied",
         "--evidence", "letter of 01/12/2026"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", FORM_CASES, ids=list(FORM_CASES))
def test_bad_input_gets_the_command_lines_message_beside_the_field(
    browser: Browser, signed_in: Server, office: Office, case: str
) -> None:
    path, values, field, argv = FORM_CASES[case]
    expected = office.a.fails(*argv).removeprefix("handover: ")
    before = office.a.dump()
    go(browser, f"{signed_in.base}{path}")
    fill(browser, values)
    click(browser, "#verify" if "verify" in argv[1] else "#save")
    assert text(browser, f"#error-{field}") == expected
    browser.shot(f"error-{case}")
    assert office.a.dump() == before


PAGES = ("/", "/posts", f"/posts/{POST}", "/officers", "/officers/ias-0042", "/accounts",
         "/accounts/x:@CollectorAhd", "/account/new", "/account/edit/x:@CollectorAhd", "/groups",
         "/groups/ahd-district", "/posts/new", f"/posts/edit/{POST}", "/officers/new",
         "/officers/edit/ias-0042", "/groups/new", "/give", "/take", "/audit",
         "/receipts")  # fmt: skip
FONT = {"gu": "Noto Sans Gujarati", "hi": "Noto Sans Devanagari"}


def test_the_register_forms_add_and_edit_what_the_command_line_shows(
    browser: Browser, signed_in: Server, office: Office
) -> None:
    """An officer added and edited, a post edited and a group added through the forms are
    the records the command line then shows."""
    go(browser, f"{signed_in.base}/officers")
    click(browser, "#add")
    fill(browser, {"service_id": "gas-0321", "name": "Meena Shah", "grade": "Deputy Collector"})
    click(browser, "#save")
    assert browser.driver.current_url.endswith("/officers/gas-0321")
    click(browser, "#edit")
    fill(browser, {"name": "Meena R. Shah", "grade": ""})
    click(browser, "#save")
    officer = office.a.json("officer", "show", "gas-0321")["officer"]
    assert (officer["name"], officer["grade"]) == ("Meena R. Shah", None)

    go(browser, f"{signed_in.base}/posts/{POST}")
    click(browser, "#edit")
    fill(browser, {"title": "Collector and District Magistrate, Ahmedabad"})
    click(browser, "#save")
    post = office.a.json("post", "show", POST)["post"]
    assert post["title"] == "Collector and District Magistrate, Ahmedabad"
    assert post["email"] == "collector.ahd@gujarat.gov.in"  # the fields not touched stay

    go(browser, f"{signed_in.base}/groups")
    click(browser, "#add")
    fill(browser, {"slug": "ahd-collectorate", "name": "Ahmedabad collectorate",
                   "level": "district", "district": "Ahmedabad", "admins": POST})  # fmt: skip
    click(browser, "#save")
    group = office.a.json("group", "show", "ahd-collectorate")
    assert (group["name"], group["admins"]) == ("Ahmedabad collectorate", [POST])
    browser.shot("group-added")


@pytest.mark.parametrize("lang", ["en", "gu", "hi"])
def test_every_page_in_every_language(browser: Browser, signed_in: Server, lang: str) -> None:
    """Each page renders (a screenshot for the record), has no inline script, and in Gujarati
    and Hindi its heading is drawn with the shipped font, never as missing-glyph boxes."""
    go(browser, f"{signed_in.base}/")
    click(browser, f"#lang-{lang}")
    for path in PAGES:
        go(browser, f"{signed_in.base}{path}")
        assert browser.driver.find_element("css selector", "html").get_attribute("lang") == lang
        assert "/unlock" not in browser.driver.current_url
        scripts = browser.driver.find_elements("css selector", "script")
        assert scripts and all(s.get_attribute("src") for s in scripts), path
        browser.shot(f"{lang}-{path.strip('/').replace('/', '-').replace(':', '') or 'overview'}")
        for code, family in FONT.items():
            drawn = browser.fonts_of(f"#lang-{code}")
            assert [f["familyName"] for f in drawn if f["glyphCount"]] == [family], drawn
            assert all(f["isCustomFont"] for f in drawn), drawn
        if lang != "en":
            assert text(browser, "nav a[href='/take']") != "Take charge"
    browser.collect()
    assert not browser.errors(), browser.console


def test_lock_then_idle_lock(browser: Browser, office: Office, tmp_path: Path) -> None:
    """'Lock' locks at once; with the registry's web_idle_seconds set low, the server locks on
    its own (it says so in its log) and the page comes back to the unlock form."""
    office.a.ok("config", "set", "web_idle_seconds", "3")
    running = start_server(office.a, tmp_path / "out")
    try:
        sign_in(browser, running)
        click(browser, "#lock")
        assert "/unlock" in browser.driver.current_url
        go(browser, f"{running.base}/accounts")
        assert "/unlock" in browser.driver.current_url
        fill(browser, {"passphrase": PASSPHRASE})
        click(browser, "#unlock")
        wait(
            browser, lambda _d: "handover serve: locked after the idle time" in running.log_lines()
        )
        wait(browser, lambda d: "/unlock" in d.current_url)
        assert "handover serve: GET /accounts 200" in running.log_lines()  # it was open before
        go(browser, f"{running.base}/posts")
        assert "/unlock" in browser.driver.current_url
    finally:
        running.stop()
        office.a.ok("config", "set", "web_idle_seconds", "600")


def test_a_wrong_passphrase_is_the_command_lines_message(
    browser: Browser, office: Office, tmp_path: Path
) -> None:
    running = start_server(office.a, tmp_path / "out")
    try:
        go(browser, running.url)
        fill(browser, {"passphrase": "not the passphrase"})
        click(browser, "#unlock")
        wrong = {"HANDOVER_PASSPHRASE_FILE": str(_wrong(office.a, tmp_path))}
        expected = office.a.fails("account", "show", "x:@CollectorAhd", "--reveal", env=wrong)
        assert text(browser, "#error-passphrase") == expected.removeprefix("handover: ")
    finally:
        running.stop()


def _wrong(cli: Cli, where: Path) -> Path:
    path = where / "wrong-pw"
    path.write_text("not the passphrase\n")
    return path
