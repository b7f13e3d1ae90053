"""The simulator shows an image inline and offers a file for download (data: URLs)."""

from __future__ import annotations

import base64

import pytest
from playwright.async_api import expect
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.exports.charts import bar_chart
from tests.bot.channels.simulator.test_page import chat_as, chromium_page, deliver, server
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the fixture, used by name


async def test_an_image_is_shown_and_a_file_can_be_saved(
    server: str, session: AsyncSession, clock: FakeClock
) -> None:
    admin = await make_staff(session, name="院管理员", code="T900", roles=("college_admin",))
    chart = bar_chart(title="分类人数", labels=["孤儿", "残疾"], values=[5, None])
    picture = base64.b64encode(chart).decode()
    workbook = base64.b64encode(b"PK\x03\x04 ledger").decode()
    await deliver(session, admin, clock, kind="image", title="统计.png", text=picture)
    await deliver(session, admin, clock, kind="file", title="台账.xlsx", text=workbook)

    async with chromium_page() as page:
        await page.goto(f"{server}/sim")
        await chat_as(page, "院管理员")

        shown = page.locator("img.chat-image")
        await expect(shown).to_have_count(1)
        assert await shown.evaluate("img => img.complete && img.naturalWidth > 0")
        link = page.locator(".file-chip a.file-name")
        await expect(link).to_have_text("台账.xlsx")
        await expect(link).to_have_attribute("download", "台账.xlsx")
        async with page.expect_download() as started:
            await link.click()
        download = await started.value
        assert download.suggested_filename == "台账.xlsx"
        assert await page.locator(".plain").filter(has_text=workbook[:12]).count() == 0
