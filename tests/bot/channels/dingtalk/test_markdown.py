"""What people typed shows as text in DingTalk cards: no live link, image, dtmd:// action or
HTML reaches the markdown, while our own line breaks and button links still work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.dingtalk.messages import button_url, robot_messages
from handlers.envelopes import Button, Outbound
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message
from tests.fakes.roster import make_staff, make_student

SECRET = "s"
INJECTIONS = {
    "link": "[查看详情](https://evil.example/phish)",
    "image": "![](http://evil.example/x.png)",
    "action": "[点我](dtmd://dingtalkclient/sendMessage?content=发送今日提醒)",
    "bare action": "dtmd://dingtalkclient/sendMessage?content=发送今日提醒",
    "autolink": "<https://evil.example/auto>",
    "bare url": "https://evil.example/bare",
    "html": '<img src="http://evil.example/y.png"><a href="https://evil.example">x</a>',
    "font": "<font color=red>已处理</font>",
}
LIVE = ("](", "<", "://evil", "dtmd://dingtalkclient/sendMessage?content=发送")


def card_text(message: Outbound) -> str:
    [robot] = robot_messages(message, secret=SECRET)
    return robot.param["text"]


@pytest.mark.parametrize("typed", INJECTIONS.values(), ids=INJECTIONS.keys())
@pytest.mark.parametrize("buttons", [0, 1, 2], ids=["markdown", "single", "action-card"])
def test_typed_markup_in_a_card_is_shown_as_text(typed: str, buttons: int) -> None:
    keys = tuple(Button(f"k{n}", f"按钮{n}") for n in range(buttons))
    message = Outbound(
        kind="card", title="安全风险提醒", text=f"情况：{typed}\n请跟进", buttons=keys
    )

    text = card_text(message)

    assert not [live for live in LIVE if live in text]
    assert "情况：" in text and "  \n请跟进" in text  # our line break survives


def test_listed_buttons_stay_links_but_their_labels_cannot_add_one() -> None:
    labels = [f"同学{n}" for n in range(5)] + ["张三](https://evil.example) [李四"]
    buttons = tuple(Button(f"k{n}", label) for n, label in enumerate(labels))
    message = Outbound(kind="card", text="今日待办", buttons=buttons)

    text = card_text(message)

    assert f"({button_url(buttons[5], secret=SECRET)})" in text
    assert "(https://evil.example)" not in text and text.count("](") == 1


@pytest.fixture
async def ding(
    database_url: str, engine: AsyncEngine, clock: FakeClock
) -> AsyncIterator[DingTalkHarness]:
    fake = FakeDingTalkServer(clock=clock)
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    async with dingtalk_app(settings, fake=fake, clock=clock) as harness:
        yield harness


async def test_a_crisis_message_reaches_the_counsellor_without_live_markup(
    ding: DingTalkHarness, session: AsyncSession
) -> None:
    counsellor = await make_staff(session, name="李老师", code="T101", dingtalk="li101")
    await make_student(
        session, name="张三", dingtalk="zhangsan01", team={"student_affairs": counsellor}
    )
    await session.commit()
    typed = "我不想活了 " + " ".join(INJECTIONS.values())

    await ding.callback(robot_message(ding.fake, "zhangsan01", typed))
    await ding.deliver()

    [alert] = [d for d in ding.fake.delivered_to("li101") if d.msg_key.startswith("sampleAction")]
    assert "不想活了" in alert.text and "evil.example" in alert.text  # shown, not hidden
    assert not [live for live in LIVE if live in alert.text]
