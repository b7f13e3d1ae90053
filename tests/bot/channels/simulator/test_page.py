"""The simulator page in headless Chromium against the real app served by uvicorn."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, Request, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.messaging.outbox import enqueue
from storage.models import Channel, Person
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student
from tests.fakes.server import serve_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(engine: AsyncEngine, settings: Settings, clock: FakeClock) -> Iterator[str]:
    with serve_app(create_app(settings, clock=clock)) as base_url:
        yield base_url


def require_chromium() -> str:
    """Fail (not skip): CI installs Debian's Chromium, so a missing one is a broken setup."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`); "
            "CI installs it and the browser tests need it.",
            pytrace=False,
        )
    return str(CHROMIUM)


@asynccontextmanager
async def chromium_page() -> AsyncIterator[Page]:
    """A fresh page in headless Chromium; fails the test on any uncaught script error."""
    executable = require_chromium()
    script_errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 800}, locale="zh-CN")
            page.on("pageerror", lambda error: script_errors.append(str(error)))
            yield page
        finally:
            await browser.close()
    assert script_errors == []


async def chat_as(page: Page, name: str) -> None:
    await page.get_by_role("button", name=re.compile(name)).click()
    await expect(page.locator("#chat-name")).to_contain_text(name)


async def deliver(session: AsyncSession, person: Person, clock: FakeClock, **payload: Any) -> None:
    """A message the bot already sent, as a reminder job would leave it in the outbox."""
    body = {"title": None, "buttons": [], **payload}
    await enqueue(
        session,
        channel=Channel.SIMULATOR,
        person_id=person.id,
        recipient=person.code,
        payload=body,
        # a digest of the text: a file's or image's base64 is longer than the key column
        idempotency_key=f"test:{person.code}:{sha256(body['text'].encode()).hexdigest()}",
        now=clock.now(),
        delivered=True,
    )
    await session.commit()


async def test_mentor_and_student_each_see_their_own_help(
    server: str, session: AsyncSession, tmp_path: Path
) -> None:
    await make_staff(session, name="李老师", code="T1001", roles=("academic_mentor",))
    await make_student(session, name="小明", code="2023000001")
    await session.commit()

    async with chromium_page() as page:
        await page.goto(f"{server}/sim")
        await expect(page).to_have_title("精准帮扶助手 · 模拟器")
        await chat_as(page, "李老师")
        await page.get_by_label("消息").fill("帮助")
        await page.get_by_label("消息").press("Enter")

        await expect(page.locator(".msg-me").last).to_contain_text("帮助")
        mentor_help = page.locator(".msg-bot").last
        await expect(mentor_help).to_contain_text("【帮扶老师】")
        await expect(mentor_help).to_contain_text("李老师")

        await page.get_by_label("搜索姓名或工号/学号").fill("2023000001")
        await expect(page.get_by_role("button", name=re.compile("李老师"))).to_have_count(0)
        await chat_as(page, "小明")
        await page.get_by_label("消息").fill("帮助")
        await page.get_by_role("button", name="发送").click()

        student_help = page.locator(".msg-bot").last
        await expect(student_help).to_contain_text("【同学】")
        await expect(page.locator("#log")).not_to_contain_text("【帮扶老师】")
        await page.screenshot(path=tmp_path / "simulator.png")

    assert (tmp_path / "simulator.png").stat().st_size > 0


async def test_history_renders_markdown_files_and_cards_without_running_html(
    server: str, session: AsyncSession, clock: FakeClock
) -> None:
    mentor = await make_staff(session, name="周老师", code="T2001", roles=("counsellor",))
    await session.commit()
    markdown = (
        '## 本周提醒\n**重点**：<font color="warning">逾期 2 人</font>\n'
        "> 请尽快谈心\n`T2001` [说明](https://example.edu/guide) [坏](javascript:alert(1))\n"
        '<img src=x onerror="window.pwned=1">'
    )
    await deliver(session, mentor, clock, kind="markdown", text=markdown)
    await deliver(session, mentor, clock, kind="file", text="帮扶台账.xlsx")
    buttons = [{"key": "帮助", "label": "查看帮助"}, {"key": "later", "label": "稍后"}]
    await deliver(session, mentor, clock, kind="card", title="谈心", text="小明", buttons=buttons)

    async with chromium_page() as page:
        await page.goto(f"{server}/sim")
        await chat_as(page, "周老师")

        note = page.locator(".markdown")
        await expect(note.locator("strong")).to_have_text("重点")
        await expect(note.locator(".md-warning")).to_have_text("逾期 2 人")
        await expect(note.locator("blockquote")).to_have_text("请尽快谈心")
        await expect(note.locator("code")).to_have_text("T2001")
        await expect(note.locator("a")).to_have_count(1)
        await expect(note.locator("a")).to_have_attribute("href", "https://example.edu/guide")
        await expect(note).to_contain_text('<img src=x onerror="window.pwned=1">')
        assert await page.locator("#log img").count() == 0
        assert await page.evaluate("window.pwned") is None
        await expect(page.locator(".file-chip")).to_contain_text("帮扶台账.xlsx")

        await page.get_by_role("button", name="查看帮助").click()
        await expect(page.locator(".msg-bot").last).to_contain_text("【帮扶老师】")
        await expect(page.get_by_role("button", name="查看帮助")).to_be_disabled()
        await expect(page.get_by_role("button", name="稍后")).to_be_disabled()


async def test_reminders_sent_later_appear_without_reloading(
    server: str, session: AsyncSession, clock: FakeClock
) -> None:
    mentor = await make_staff(session, name="陈老师", code="T3001")
    await session.commit()

    async with chromium_page() as page:
        await page.goto(f"{server}/sim")
        await chat_as(page, "陈老师")
        await expect(page.locator(".msg-bot")).to_have_count(0)
        await deliver(session, mentor, clock, kind="text", text="提醒：本周还没有和小明谈心")

        await expect(page.locator(".msg-bot")).to_have_text(re.compile("本周还没有和小明谈心"))


async def test_token_is_sent_with_every_call_and_failures_are_explained(
    server: str, session: AsyncSession
) -> None:
    await make_staff(session, name="赵老师", code="T4001")
    await session.commit()
    tokens: list[str | None] = []

    def record_token(request: Request) -> None:
        if "/sim/api/" in request.url:
            tokens.append(request.headers.get("x-simulator-token"))

    async with chromium_page() as page:
        page.on("request", record_token)
        await page.route("**/sim/api/send", lambda route: route.fulfill(status=500))
        await page.goto(f"{server}/sim?token=s3cret")
        await chat_as(page, "赵老师")
        await page.get_by_label("消息").fill("帮助")
        await page.get_by_label("消息").press("Enter")

        await expect(page.get_by_role("alert")).to_contain_text("请求失败")
        await expect(page.locator(".msg-me .bubble.failed")).to_contain_text("帮助")
        async with page.expect_response("**/sim/api/inbox*"):
            pass  # a later successful poll must not hide the failed send
        await expect(page.get_by_role("alert")).to_contain_text("请求失败")

    assert len(tokens) >= 3  # people, inbox and send
    assert set(tokens) == {"s3cret"}
