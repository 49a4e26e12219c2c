"""Premium and the admin console in a real browser (Debian's Chromium driven by Playwright),
against the app on uvicorn with SQLite:

- the embedded mode: a couple opens the plan tab, cancels the sandbox checkout (a clear
  message), then approves it; the tab shows premium without a reload and the preview loses
  the branding footer;
- PortOne: the studio hands PortOne's browser SDK exactly the order the server returned (the
  SDK's script, which would come from PortOne's CDN, is answered by a stand-in recording the
  call), shows a cancellation and a tampered amount clearly, and completes an honest payment
  through the fake PortOne server;
- the admin console at ``/studio/admin``: a user who is not an administrator is refused; an
  administrator searches and disables a user, changes a role, unpublishes a page, refunds an
  order with a reason (premium taken back) and reads the stats.

Every screen is audited by axe-core (no serious or critical violation), with no console error
and no CSP violation. ``MOCHEONG_STUDIO_SCREENSHOTS=1`` writes the screenshots of
docs/studio.md and docs/payments.md (the phone in Korean, the desktop in English).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from entrypoints.app import create_app
from entrypoints.bootstrap.admin import create_admin
from entrypoints.bootstrap.settings import Settings
from mocheong_core.kernel.ids import new_id
from tests.conftest import make_settings
from tests.fakes.http import in_thread
from tests.fakes.portone import FakePortOne
from tests.integration.browser_support import (
    browser,
    chromium,
    collect_problems,
    probed_page,
    serious_findings,
    serve_in_thread,
)
from tests.integration.pages_helpers import COMPLETE_DOCUMENT
from tests.integration.payments_helpers import portone_settings

__all__ = ["browser", "chromium"]  # fixtures, used by name
pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)  # a hang guard for a loaded machine, not a timed assertion

ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = ROOT / "docs/studio"
PASSWORD = "correct horse battery"
NAMES = {
    "en": {
        "new": "New invitation", "plan_tab": "Plan", "upgrade": "Upgrade to premium",
        "approve": "Approve (sandbox)",
        "cancel": "Cancel payment", "cancelled": "Payment cancelled", "paid": "Payment complete",
        "premium": "Premium", "photos": "Photos 0 / 30", "free_photos": "Photos 0 / 12",
        "footer_hidden": "branding footer: hidden", "sandbox": "Sandbox checkout",
        "email": "Email", "password": "Password", "login": "Log in", "logout": "Log out",
        "refused": "administrators only", "search": "Search (email, name)", "find": "Search",
        "disable": "Disable", "disabled": "Disabled", "role": "Role", "pages": "Pages",
        "unpublish": "Unpublish", "unpublished": "Unpublished", "payments": "Payments",
        "state": "State", "filter": "Filter", "refund": "Refund", "reason": "Refund reason",
        "refund_now": "Refund now", "refunded": "Refunded", "stats": "Stats",
        "users_count": "Users", "mismatch": "not the order's amount",
        "failed": "did not go through",
    },
    "ko": {
        "new": "새 청첩장", "plan_tab": "요금제", "upgrade": "프리미엄으로 업그레이드",
        "approve": "승인 (샌드박스)",
        "cancel": "결제 취소", "cancelled": "결제를 취소했어요", "paid": "결제가 완료되어",
        "premium": "프리미엄", "photos": "사진 0 / 30장", "free_photos": "사진 0 / 12장",
        "footer_hidden": "브랜딩 문구: 표시 안 함", "sandbox": "샌드박스 결제",
        "email": "이메일", "password": "비밀번호", "login": "로그인", "logout": "로그아웃",
        "refused": "관리자만", "search": "검색 (이메일, 이름)", "find": "찾기",
        "disable": "정지", "disabled": "정지됨", "role": "역할", "pages": "청첩장",
        "unpublish": "비공개 처리", "unpublished": "비공개", "payments": "결제",
        "state": "상태", "filter": "거르기", "refund": "환불", "reason": "환불 사유",
        "refund_now": "환불하기", "refunded": "환불됨", "stats": "통계",
        "users_count": "사용자 수", "mismatch": "주문 금액과 달라",
        "failed": "결제가 완료되지 않았어요",
    },
}  # fmt: skip
# Stands in for https://cdn.portone.io/v2/browser-sdk.js: records each requestPayment call and
# answers when the test says so, as PortOne's window would once the buyer is done.
PORTONE_STANDIN = """
window.__portone = [];
window.PortOne = {requestPayment: (request) => new Promise((resolve) => {
  window.__portone.push(request);
  window.__answer = resolve;
})};
"""


@pytest.fixture(scope="module")
def sandbox_settings(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Settings:
    folder = tmp_path_factory.mktemp("studio-payments")
    shutil.copy(sqlite_template, folder / "mocheong.db")
    return make_settings(folder)


@pytest.fixture(scope="module")
def server(sandbox_settings: Settings) -> Iterator[str]:
    with serve_in_thread(create_app(sandbox_settings)) as url:
        yield url


@attrs.define
class Screen:
    page: Page
    lang: str
    size: str
    problems: list[str]
    audits: dict[str, list[str]] = attrs.field(factory=dict)

    @property
    def names(self) -> dict[str, str]:
        return NAMES[self.lang]

    async def audit(self, screen: str) -> None:
        self.audits[screen] = await serious_findings(self.page)
        documented = (self.size, self.lang) in {("phone", "ko"), ("desktop", "en")}
        if os.environ.get("MOCHEONG_STUDIO_SCREENSHOTS") == "1" and documented:
            SHOTS.mkdir(exist_ok=True)
            await self.page.screenshot(path=SHOTS / f"{self.size}-{self.lang}-{screen}.png")

    async def assert_clean(self) -> None:
        assert await self.page.evaluate("window.__csp") == []
        assert self.problems == []
        assert {screen: found for screen, found in self.audits.items() if found} == {}


async def open_screen(browser: Browser, server: str, lang: str, size: str, path: str) -> Screen:
    page = await probed_page(browser, server, lang, size)
    screen = Screen(page, lang, size, collect_problems(page))
    await page.goto(f"{path}?lang=en" if lang == "en" else path)
    return screen


async def register(api: httpx.AsyncClient, name: str = "couple") -> tuple[str, dict[str, str]]:
    email = f"{name}-{new_id()}@example.com"
    response = await api.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.text
    return email, {"Authorization": f"Bearer {response.json()['access_token']}"}


async def log_in(screen: Screen, email: str) -> None:
    page, names = screen.page, screen.names
    await page.get_by_label(names["email"]).fill(email)
    await page.get_by_label(names["password"]).fill(PASSWORD)
    await page.get_by_role("button", name=names["login"], exact=True).click()


@attrs.frozen
class Couple:
    page_id: str
    headers: dict[str, str]

    async def plan(self, server: str) -> str:
        async with httpx.AsyncClient(base_url=server) as api:
            page = await api.get(f"/api/pages/{self.page_id}", headers=self.headers)
            return str(page.json()["plan"])


async def open_plan(browser: Browser, server: str, lang: str, size: str) -> tuple[Screen, Couple]:
    """A couple signed in on the plan tab of a new invitation."""
    async with httpx.AsyncClient(base_url=server) as api:
        email, headers = await register(api)
        page_id = (await api.post("/api/pages", json={}, headers=headers)).json()["id"]
    screen = await open_screen(browser, server, lang, size, "/studio")
    await log_in(screen, email)
    await expect(screen.page.get_by_role("button", name=screen.names["new"])).to_be_visible()
    query = "?lang=en" if lang == "en" else ""
    await screen.page.goto(f"/studio{query}#/p/{page_id}/plan")
    await expect(screen.page.get_by_role("tab", name=screen.names["plan_tab"])).to_have_attribute(
        "aria-selected", "true"
    )
    return screen, Couple(page_id, headers)


@pytest.mark.parametrize(("size", "lang"), [("phone", "ko"), ("desktop", "en")])
async def test_the_sandbox_checkout_makes_the_page_premium_without_a_reload(
    browser: Browser, server: str, size: str, lang: str
) -> None:
    screen, couple = await open_plan(browser, server, lang, size)
    page, names = screen.page, screen.names
    panel = page.locator("#panel-plan")
    await expect(panel).to_contain_text(names["free_photos"])
    await screen.audit("plan")
    await page.evaluate("window.__sameDocument = true")

    upgrade = page.get_by_role("button", name=re.compile(names["upgrade"]))
    await upgrade.click()
    checkout = page.get_by_role("region", name=re.compile(names["sandbox"]))
    await expect(checkout).to_be_visible()
    await expect(checkout).to_contain_text("9,900")
    await screen.audit("checkout")
    await page.get_by_role("button", name=names["cancel"]).click()
    await expect(panel.get_by_role("alert")).to_contain_text(names["cancelled"])
    await expect(checkout).to_have_count(0)

    await upgrade.click()
    await page.get_by_role("button", name=names["approve"]).click()
    await expect(panel.get_by_role("status")).to_contain_text(names["paid"])
    await expect(panel.locator("#plan-badge")).to_have_text(names["premium"])
    await expect(panel).to_contain_text(names["photos"])
    await expect(panel).to_contain_text(names["footer_hidden"])
    await expect(upgrade).to_have_count(0)
    assert await page.evaluate("window.__sameDocument") is True  # no reload
    await screen.audit("premium")
    # The preview hears the plan's change in the page's room and drops the footer.
    if size == "phone":
        await page.get_by_role("tab", name=re.compile("미리보기|Preview")).click()
    frame = page.frame_locator(".preview-frame")
    await expect(frame.locator("footer.branding")).to_have_count(0)
    assert await couple.plan(server) == "premium"
    await screen.assert_clean()


async def test_portone_gets_exactly_the_order_the_server_made(
    browser: Browser, tmp_path: Path, sqlite_template: Path
) -> None:
    shutil.copy(sqlite_template, tmp_path / "mocheong.db")
    with (
        in_thread(FakePortOne()) as portone,
        serve_in_thread(create_app(portone_settings(make_settings(tmp_path), portone))) as url,
    ):
        screen, couple = await open_plan(browser, url, "en", "desktop")
        await screen.page.context.route(
            "https://cdn.portone.io/v2/browser-sdk.js",
            lambda route: route.fulfill(content_type="text/javascript", body=PORTONE_STANDIN),
        )
        page, names = screen.page, screen.names
        panel = page.locator("#panel-plan")
        upgrade = page.get_by_role("button", name=re.compile(names["upgrade"]))

        async def pay(answer: dict[str, Any] | None = None, **tampering: Any) -> dict[str, Any]:
            """Clicks upgrade; the buyer pays in PortOne's window (or not); returns the call."""
            calls = len(await page.evaluate("window.__portone || []"))
            await upgrade.click()
            # Polled from here: the page's CSP forbids the eval a wait_for_function needs.
            for _ in range(3000):  # a hang guard, not a timed assertion
                if len(await page.evaluate("window.__portone || []")) > calls:
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the studio never called PortOne.requestPayment")
            request: dict[str, Any] = (await page.evaluate("window.__portone"))[-1]
            if answer is None:
                portone.pay(request["paymentId"], **tampering)
                answer = {"transactionType": "PAYMENT", "txId": "tx-1",
                          "paymentId": request["paymentId"]}  # fmt: skip
            await page.evaluate(f"window.__answer({json.dumps(answer)})")
            return request

        request = await pay(
            {"code": "FAILURE_TYPE_PG", "message": "사용자가 결제를 취소하였습니다"}
        )
        # Exactly the order the server made (its amount also pre-registered with PortOne).
        async with httpx.AsyncClient(base_url=url) as api:
            orders = (await api.get("/api/payments/orders", headers=couple.headers)).json()
        (order,) = [o for o in orders["items"] if o["payment_id"] == request["paymentId"]]
        assert request == {
            "storeId": "store-fake-0001", "channelKey": "channel-key-fake",
            "paymentId": order["payment_id"], "orderName": order["order_name"],
            "totalAmount": order["amount"], "currency": order["currency"],
            "payMethod": "CARD", "redirectUrl": request["redirectUrl"],
        }  # fmt: skip
        assert (request["totalAmount"], request["currency"]) == (9900, "KRW")
        assert portone.registered[order["payment_id"]]["totalAmount"] == 9900
        assert request["redirectUrl"].startswith(f"{url}/studio?checkout=")
        await expect(panel.get_by_role("alert")).to_contain_text(names["failed"])
        await expect(panel.get_by_role("alert")).to_contain_text("사용자가 결제를 취소하였습니다")

        await pay(amount=100)  # a tampered amount: the server refuses to complete
        await expect(panel.get_by_role("alert")).to_contain_text(names["mismatch"])
        await expect(panel.locator("#plan-badge")).not_to_have_text(names["premium"])

        await pay()
        await expect(panel.locator("#plan-badge")).to_have_text(names["premium"])
        assert await couple.plan(url) == "premium"
        await screen.assert_clean()


@pytest.mark.parametrize(("size", "lang"), [("phone", "ko"), ("desktop", "en")])
async def test_the_admin_console_refuses_others_and_lets_an_admin_act(
    browser: Browser, server: str, sandbox_settings: Settings, size: str, lang: str
) -> None:
    async with httpx.AsyncClient(base_url=server) as api:
        buyer_email, buyer = await register(api, "buyer")
        target_email, _ = await register(api, "target")
        page = (await api.post("/api/pages", json=COMPLETE_DOCUMENT, headers=buyer)).json()
        assert (await api.post(f"/api/pages/{page['id']}/publish", headers=buyer)).is_success
        order = (await api.post("/api/payments/orders", headers=buyer, json={
            "product_code": "premium", "page_id": page["id"]})).json()  # fmt: skip
        paid = await api.post(f"/api/payments/orders/{order['order_id']}/complete",
                              json={"payment_id": order["payment_id"]}, headers=buyer)  # fmt: skip
        assert paid.json()["status"] == "paid"
    admin_email = f"ops-{new_id()}@example.com"
    await create_admin(sandbox_settings, admin_email, PASSWORD, "Ops")

    screen = await open_screen(browser, server, lang, size, "/studio/admin")
    ui, names = screen.page, screen.names
    await log_in(screen, buyer_email)
    await expect(ui.get_by_role("alert")).to_contain_text(names["refused"])
    await screen.audit("admin-refused")
    await ui.get_by_role("button", name=names["logout"]).click()
    await log_in(screen, admin_email)

    # Users: search, disable, role.
    await ui.get_by_label(names["search"]).fill(target_email)
    await ui.get_by_role("button", name=names["find"], exact=True).click()
    rows = ui.locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text(target_email)
    await screen.audit("admin-users")
    await ui.get_by_role("button", name=f"{names['disable']} {target_email}").click()
    await expect(rows.first).to_contain_text(names["disabled"])
    await ui.get_by_label(f"{names['role']} {target_email}").select_option("admin")
    async with httpx.AsyncClient(base_url=server) as api:
        refused = await api.post(
            "/api/auth/login", json={"email": target_email, "password": PASSWORD}
        )
        assert refused.status_code in (401, 403), refused.text
    await expect(ui.locator("#announcer")).to_contain_text(target_email)

    # Pages: unpublish for moderation.
    await ui.get_by_role("link", name=names["pages"], exact=True).click()
    await ui.get_by_label(names["state"]).select_option("published")
    await ui.get_by_role("button", name=names["filter"]).click()
    unpublish = ui.get_by_role("button", name=f"{names['unpublish']} {page['slug']}")
    await screen.audit("admin-pages")
    await unpublish.click()
    await expect(unpublish).to_have_count(0)
    async with httpx.AsyncClient(base_url=server) as api:
        assert (await api.get(f"/i/{page['slug']}")).status_code == 404

    # Payments: filter, refund with a reason.
    await ui.get_by_role("link", name=names["payments"], exact=True).click()
    await ui.get_by_label(names["state"]).select_option("paid")
    await ui.get_by_role("button", name=names["filter"]).click()
    await ui.get_by_role(
        "button", name=re.compile(f"{names['refund']} .* {order['order_id']}")
    ).click()
    await ui.get_by_label(names["reason"]).fill("고객 요청")
    await screen.audit("admin-payments")
    await ui.get_by_role("button", name=names["refund_now"]).click()
    refunded = ui.locator("tbody tr").filter(has_text=names["refunded"])
    await expect(refunded.first).to_be_visible()
    async with httpx.AsyncClient(base_url=server) as api:
        mine = (await api.get("/api/payments/orders", headers=buyer)).json()["items"]
        assert [o["status"] for o in mine] == ["cancelled"]
        assert (await api.get(f"/api/pages/{page['id']}", headers=buyer)).json()["plan"] == "free"

    # Stats.
    await ui.get_by_role("link", name=names["stats"], exact=True).click()
    await expect(ui.locator(".stats")).to_contain_text(names["users_count"])
    await screen.audit("admin-stats")
    await screen.assert_clean()
