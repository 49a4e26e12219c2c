"""What the browser tests share: the app on uvicorn, Debian's Chromium through Playwright, a
phone-sized page that collects console errors, and axe-core (vendored from the npm registry
under ``tests/vendor``, checked against its pinned sha256 by ``test_vendored_files``)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
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
PHONE: ViewportSize = {"width": 390, "height": 844}


@contextmanager
def running(settings: Settings) -> Iterator[str]:
    """The app on uvicorn in a thread, on a free port; its base URL."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(500):
        if uv.started:
            break
        threading.Event().wait(0.02)
    else:
        pytest.fail("uvicorn did not start", pytrace=False)
    port = uv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def browser_settings(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, **overrides: Any
) -> Settings:
    """Settings on a fresh SQLite database, with the guests' rate limits out of the way."""
    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(sqlite_template, folder / "mocheong.db")
    limits = {"rate_rsvp_per_ip": 1000, "rate_guestbook_per_ip": 1000}
    return make_settings(folder, **{**limits, **overrides})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """The app on uvicorn in a thread, on a free port, with a fresh SQLite database."""
    with running(browser_settings(tmp_path_factory, sqlite_template)) as base_url:
        yield base_url


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs Debian's chromium package "
            "(apt-get install -y chromium).",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def api(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client


async def phone(browser: Browser, server: str) -> tuple[Page, list[str]]:
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="ko-KR", base_url=server
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = await context.new_page()
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        # Failed loads (a 403 for a wrong password, the favicon's 404) are expected; a CSP
        # refusal or a script error is not.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems


async def axe_violations(page: Page, impacts: tuple[str, ...]) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as shown, of the given impacts."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern: a script
    # tag would be refused by it, and bypassing the CSP would test another page.
    await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
