"""The web page in a real browser: ``handover serve`` started as the officer starts it, in its
own process on its own registry, and Debian's chromium driven through its chromedriver.

One browser per test module (starting one costs a second or two); every page visited is
screenshotted into ``tests/output/web/`` (a CI artifact), and every address the browser asked
for is kept, so that a module can check that no secret ever travelled in one.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BACKEND, HANDOVER, PASSPHRASE, Cli

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "output" / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Long enough for a loaded two-core machine; every wait ends as soon as its condition holds.
WAIT = 30


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("web") and BACKEND != "sqlite":
            item.add_marker(pytest.mark.skip(reason="the browser suite runs once, on SQLite"))


@dataclass
class Server:
    """``handover serve`` in a process of its own, on one registry; its log kept in a file."""

    cli: Cli
    out_dir: Path
    proc: subprocess.Popen[str]
    url: str
    log: Path

    @property
    def base(self) -> str:
        return self.url.split("/start", 1)[0]

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=WAIT)

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


def start_server(cli: Cli, out_dir: Path, *args: str) -> Server:
    """Start ``handover serve`` on ``cli``'s registry and wait for the address it prints. The
    passphrase file is left out of its environment: the page must ask for the passphrase."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(
        {
            "HANDOVER_REGISTRY": cli.location,
            "HANDOVER_NO_KEYRING": "1",
            "HANDOVER_ACTOR": "web tester",
            **cli.env,
        }
    )
    log = out_dir / f"serve-{len(list(out_dir.glob('serve-*.log')))}.log"
    proc = subprocess.Popen(
        [HANDOVER, *args, "serve", "--port", "0", "--no-open", "--out-dir", str(out_dir)],
        stdout=subprocess.PIPE,
        stderr=log.open("w", encoding="utf-8"),
        text=True,
        env=env,
        cwd=cli.home,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            found = re.search(r"open (http://\S+)", lines.get(timeout=WAIT))
            if found:
                return Server(cli, out_dir, proc, found[1], log)
    except queue.Empty:
        proc.kill()
        raise AssertionError(f"handover serve printed no address: {log.read_text()}") from None


@dataclass
class Browser:
    """A chromium session, with what it asked for and what it showed."""

    driver: Any
    downloads: Path
    shot_prefix: str
    urls: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    shots: int = 0

    def collect(self) -> None:
        """Every address requested since the last call (from the DevTools network log), and
        every console message (a Content-Security-Policy violation lands there)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.urls.append(message["params"]["request"]["url"])
        self.console.extend(self.driver.get_log("browser"))

    def errors(self) -> list[dict[str, Any]]:
        """Console errors other than refusals the tests provoke on purpose (a refused request
        is logged as a failed load): a Content-Security-Policy violation, a script error, a
        missing file."""
        refused = re.compile(r"status of (400|403|413) ")
        return [
            e for e in self.console if e["level"] == "SEVERE" and not refused.search(e["message"])
        ]

    def shot(self, name: str) -> Path:
        """A screenshot of the whole page, for the CI artifact folder and docs/web.md."""
        self.shots += 1
        path = SHOTS / f"{self.shot_prefix}-{self.shots:02d}-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        width, height = self.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        self.driver.set_window_size(max(width, 1200), min(max(height, 700), 4000))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1200, 900)
        return path

    def fonts_of(self, selector: str) -> list[dict[str, Any]]:
        """The fonts the browser really drew an element's text with (family, whether it came
        from the page's @font-face, glyph count): text drawn as missing-glyph boxes passes any
        text assertion, this does not."""
        d = self.driver
        d.execute_cdp_cmd("DOM.enable", {})
        d.execute_cdp_cmd("CSS.enable", {})
        root = d.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = d.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})
        fonts: list[dict[str, Any]] = d.execute_cdp_cmd(
            "CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]}
        )["fonts"]
        return fonts


@pytest.fixture(scope="module")
def browser(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("chromium and chromium-driver are missing: run scripts/system-deps")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never reach the network
    os.environ["SE_AVOID_STATS"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1200,900", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-sync"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    # Named by module and worker: two workers may hold one module's tests at once, and each
    # clears only the screenshots of its own last run.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{Path(str(request.node.fspath)).stem.removeprefix('test_')}-{worker}"
    for old in SHOTS.glob(f"{name}-*.png"):
        old.unlink()
    try:
        yield Browser(driver, downloads, name)
    finally:
        driver.quit()


def wait_for_file(folder: Path, name: str) -> Path:
    """A file the browser downloaded, once it is whole."""
    from selenium.webdriver.support.wait import WebDriverWait

    path = folder / name
    WebDriverWait(None, WAIT, poll_frequency=0.1).until(
        lambda _d: path.exists() and not (folder / f"{name}.crdownload").exists()
    )
    return path


def new_folder(base: Path, name: str) -> Path:
    path = base / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


__all__ = ["PASSPHRASE", "Browser", "Server", "new_folder", "start_server", "wait_for_file"]


def wait(browser: Browser, condition: Any, timeout: float = WAIT) -> Any:
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(browser.driver, timeout, poll_frequency=0.1).until(condition)


def go(browser: Browser, url: str) -> None:
    browser.driver.get(url)
    wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")


def click(browser: Browser, selector: str) -> None:
    """Click and wait until the next page has loaded.

    The old page is marked with a script variable, which the next page's fresh window lacks.
    Waiting for the old page's element to go stale raced the browser: while it swaps documents,
    Chrome can answer a question about the old element with a plain error instead of "stale".
    Such errors, while the page is changing, only mean "not yet".
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.driver.execute_script("window.handoverLeaving = true;")
    browser.driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(
        browser.driver, WAIT, poll_frequency=0.1, ignored_exceptions=(WebDriverException,)
    ).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && window.handoverLeaving === undefined;"
        )
    )


def text(browser: Browser, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.driver.find_element(By.CSS_SELECTOR, selector).text)


def fill(browser: Browser, fields: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        element = browser.driver.find_element(By.ID, name)
        if element.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def sign_in(browser: Browser, server: Server, lang: str = "en") -> None:
    """Open the printed address, choose the language, type the registry's passphrase."""
    go(browser, server.url)
    assert "/unlock" in browser.driver.current_url, browser.driver.page_source[:2000]
    if lang != "en":
        click(browser, f"#lang-{lang}")
    fill(browser, {"passphrase": PASSPHRASE})
    click(browser, "#unlock")
    assert "/unlock" not in browser.driver.current_url, browser.driver.page_source[:2000]
