"""What the browser tests share: Debian's Chromium and its flags (the ``browser`` fixture), the
app on uvicorn in a thread, a collector of console errors, a listener of CSP violations and
axe-core's audit of serious and critical violations."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize, async_playwright

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


CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
"""An init script: what the page's Content Security Policy refused, in ``window.__csp``."""
AUDIT = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations'], iframes: false});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}"""
"""axe-core's serious and critical violations on the page (axe loaded first)."""


SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


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


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs Debian's chromium package "
            "(apt-get install -y chromium).",
            pytrace=False,
        )
    return CHROMIUM


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


def collect_problems(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``. Failed loads (a 403 for a wrong
    password, a 409 on purpose) are expected; a CSP refusal or a script error is not."""
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems
