"""What the browser tests share: Debian's Chromium through Playwright (the ``chromium`` and
``browser`` fixtures), the app on uvicorn in a thread (``serve_in_thread``, the ``server``
fixture on a fresh SQLite database, the ``api`` client on it), pages that collect console
errors and CSP violations, and axe-core (vendored from the npm registry under
``tests/vendor``, checked against its pinned sha256 by ``test_vendored_files``)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from dishka import Provider
from litestar import Litestar
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize, async_playwright

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings
from tests.conftest import make_settings

AXE = Path(__file__).parent.parent / "vendor" / "axe-core" / "axe.min.js"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
PHONE = SIZES["phone"]

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
"""An init script: what the page's Content Security Policy refused, in ``window.__csp``."""
_SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations'], iframes: false});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}"""


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs Debian's chromium package "
            "(apt-get install -y chromium).",
            pytrace=False,
        )
    return CHROMIUM


@asynccontextmanager
async def launched(chromium: Path, *extra_args: str) -> AsyncIterator[Browser]:
    """Chromium with the suite's flags (and ``extra_args``), closed at the end."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=[*CHROMIUM_ARGS, *extra_args]
        )
        yield browser
        await browser.close()


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with launched(chromium) as running:
        yield running


@contextmanager
def serve_in_thread(app: Litestar) -> Iterator[str]:
    """The app on uvicorn in a thread, on a free port; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.02)
    else:
        pytest.fail("uvicorn did not start", pytrace=False)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def browser_settings(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, **overrides: Any
) -> Settings:
    """Settings on a fresh SQLite database, with the guests' rate limits out of the way."""
    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(sqlite_template, folder / "mocheong.db")
    limits = {"rate_rsvp_per_ip": 1000, "rate_guestbook_per_ip": 1000}
    return make_settings(folder, **{**limits, **overrides})


@contextmanager
def running(settings: Settings, *overrides: Provider) -> Iterator[str]:
    """The app on ``settings`` (and the ``overrides`` providers) in a thread; its base URL."""
    with serve_in_thread(create_app(settings, *overrides)) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    with running(browser_settings(tmp_path_factory, sqlite_template)) as url:
        yield url


@pytest.fixture
async def api(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client


def collect_problems(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``. Failed loads (a 403 for a wrong
    password, a 409 on purpose, the favicon's 404) are expected; a CSP refusal or a script
    error is not."""
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


async def probed_page(browser: Browser, server: str, lang: str, size: str) -> Page:
    """A page in a new context of ``SIZES[size]`` (a touch phone or a desktop) preferring
    ``lang`` (``ko`` or ``en``), whose CSP violations ``CSP_PROBE`` collects."""
    context = await browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale="ko-KR" if lang == "ko" else "en-US",
        base_url=server,
    )
    await context.add_init_script(CSP_PROBE)
    return await context.new_page()


async def phone(browser: Browser, server: str) -> tuple[Page, list[str]]:
    """A Korean phone page allowed the clipboard, and the problems it collects."""
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="ko-KR", base_url=server
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = await context.new_page()
    return page, collect_problems(page)


async def _load_axe(page: Page) -> None:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern: a script
    # tag would be refused by it, and bypassing the CSP would test another page.
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())


async def serious_findings(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as shown, one line each."""
    await _load_axe(page)
    return list(await page.evaluate(_SERIOUS))


async def axe_violations(page: Page, impacts: tuple[str, ...]) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as shown, of the given impacts."""
    await _load_axe(page)
    result = await page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
