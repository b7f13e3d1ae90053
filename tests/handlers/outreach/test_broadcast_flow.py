"""群发 end to end in the simulator: preview, confirm, delivery with a 收到 button, receipts,
群发状态, 催办; and the refusals."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.schedule import jobs
from storage.models import AuditEntry, Broadcast, BroadcastDelivery, OutboxMessage
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.handlers.outreach.conftest import inbox

LINE = "群发 学院=机械工程学院 年级=2023 需回执 内容={{姓名}}同学，周五下午三点开年级会"


async def _rows(session: AsyncSession, model: type) -> list:  # type: ignore[type-arg]
    await session.rollback()
    return list((await session.exec(select(model))).all())


async def _sent(session: AsyncSession) -> list[OutboxMessage]:
    """Outbox rows of broadcasts (replies are outbox rows too)."""
    rows = await _rows(session, OutboxMessage)
    return [row for row in rows if row.idempotency_key.startswith("broadcast:")]


async def test_preview_confirm_receive_confirm_and_status(
    sim: httpx.AsyncClient, quiet_app: FastAPI, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    preview = await admin.say(LINE)

    assert "收件人：3 人" in preview
    assert "张三同学，周五下午三点开年级会" in preview
    assert "确认发送" in preview
    assert await _sent(session) == []  # nothing queued before 确认发送

    queued = await admin.say("确认发送")
    assert "共 3 人" in queued
    again = await admin.say("确认发送")
    assert "没有等待确认的群发" in again
    assert len(await _sent(session)) == 3
    await quiet_app.state.outbox.drain()

    [notice] = await inbox(sim, "S2")
    assert notice["text"] == "李四同学，周五下午三点开年级会"
    assert notice["title"] == "【通知】"
    [button] = notice["buttons"]  # type: ignore[misc]
    assert button["label"] == "收到"  # type: ignore[index]
    assert await inbox(sim, "S4") == []  # another college

    assert "已确认收到" in await Chat(sim, "S2").press(button["key"])  # type: ignore[index]
    assert "已确认收到" in await Chat(sim, "S3").say("收到")
    assert "已经确认过了" in await Chat(sim, "S2").press(button["key"])  # type: ignore[index]
    assert "没有需要你确认" in await Chat(sim, "S3").say("收到")

    [broadcast] = await _rows(session, Broadcast)
    status = await admin.say(f"群发状态 {broadcast.id}")
    assert "收件人：3 人" in status and "已送达：3" in status
    assert "已确认：2 人，未确认：1 人" in status
    assert "张三（机械2301）" in status and "李四" not in status

    reminded = await admin.say(f"催办 {broadcast.id}")
    assert "已向 1 位" in reminded
    assert "今天已经催办过了" in await admin.say(f"催办 {broadcast.id}")
    await quiet_app.state.outbox.drain()
    assert len(await inbox(sim, "S1")) == 2 and len(await inbox(sim, "S2")) == 1

    history = await admin.say("群发记录")
    assert f"{broadcast.id}." in history and "已确认 2" in history


async def test_a_student_never_sees_the_audience_or_category(
    sim: httpx.AsyncClient, quiet_app: FastAPI, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    preview = await admin.say("群发 类别=低保家庭 资助 内容=国家助学金开始申请了，请本周内提交材料")
    assert "收件人：1 人" in preview and "保密" in preview
    await admin.say("确认发送")
    await quiet_app.state.outbox.drain()

    [notice] = await inbox(sim, "S1")
    shown = f"{notice['title']} {notice['text']}"
    for secret in ("低保", "类别", "学院=", "收件人", "保密"):
        assert secret not in shown
    assert await inbox(sim, "S2") == []


async def test_privacy_guard_holds_revealing_words_until_override(
    sim: httpx.AsyncClient, quiet_app: FastAPI, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    preview = await admin.say("群发 类别=低保家庭 内容=低保家庭学生请来领取困难补助")
    assert "低保、困难" in preview and "仍然发送" in preview

    held = await admin.say("确认发送")
    assert "仍然发送" in held
    assert await _sent(session) == []

    await admin.say("仍然发送")
    [row] = await _sent(session)
    assert row.person_id == school["S1"]


async def test_who_may_broadcast_to_whom(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    college = await Chat(sim, "T3").say("群发 内容=明天开会")
    counsellor = await Chat(sim, "T4").say("群发 内容=明天开会")
    refused = await Chat(sim, "T5").say("群发 内容=明天开会")
    student = await Chat(sim, "S1").say("群发 内容=明天开会")

    assert "收件人：3 人" in college
    assert "收件人：2 人" in counsellor
    assert "无权限" in refused and "无权限" in student
    audits = [e for e in await _rows(session, AuditEntry) if e.action == "broadcast_refused"]
    assert {e.actor_id for e in audits} == {school["T5"], school["S1"]}


async def test_bad_filters_and_empty_audiences_say_why(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    assert "可以用的条件" in await admin.say("群发 院系=机械 内容=开会")
    assert "低保家庭" in await admin.say("群发 类别=特困 内容=开会")
    unknown = await admin.say("群发 学院=文学院 内容=开会")
    assert "机械工程学院" in unknown and "计算机学院" in unknown
    assert "没有找到可以接收的人" in await admin.say("群发 年级=2030 内容=开会")
    assert "{{电话}}" in await admin.say("群发 内容={{电话}}请回复")
    assert "内容太长" in await admin.say("群发 内容=" + "通知" * 400)
    assert "请在最后写上要发送的内容" in await admin.say("群发 学院=机械工程学院")
    assert await _rows(session, Broadcast) == []


async def test_large_audiences_need_a_second_admin(
    settings_small_approval: None,
    sim: httpx.AsyncClient,
    quiet_app: FastAPI,
    session: AsyncSession,
    school: dict[str, int],
) -> None:
    admin = Chat(sim, "T1")
    preview = await admin.say("群发 内容=明天开会")
    assert "批准" in preview
    confirmed = await admin.say("确认发送")
    assert "批准" in confirmed and "已通知 1 位" in confirmed  # T2; T3 is of another college
    assert await _sent(session) == []
    [broadcast] = await _rows(session, Broadcast)

    own = await admin.say(f"批准 {broadcast.id}")
    assert "无权限" in own and "另一位管理员" in own  # the sender is told why
    assert "无权限" in await Chat(sim, "T4").say(f"批准 {broadcast.id}")
    await quiet_app.state.outbox.drain()
    response = await sim.get("/sim/api/inbox", params={"user": "T2"})
    assert any(f"批准 {broadcast.id}" in m["text"] for m in response.json()["messages"])
    assert "共 4 人" in await Chat(sim, "T2").say(f"批准 {broadcast.id}")
    assert len(await _sent(session)) == 4


async def test_quiet_hours_hold_a_broadcast_unless_urgent(
    sim: httpx.AsyncClient, clock: FakeClock, session: AsyncSession, school: dict[str, int]
) -> None:
    clock.advance(hours=13)  # 22:00 in Shanghai
    admin = Chat(sim, "T1")
    assert "免打扰" in await admin.say("群发 内容=明早八点停水")
    assert "07:30" in await admin.say("确认发送")
    assert await _sent(session) == []

    await admin.say("群发 紧急 内容=今晚宿舍停电，请注意安全")
    assert "共 4 人" in await admin.say("确认发送")
    assert len(await _rows(session, BroadcastDelivery)) == 4


async def test_the_sender_hears_when_it_is_done_and_after_a_day(
    sim: httpx.AsyncClient, quiet_app: FastAPI, clock: FakeClock, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    await admin.say("群发 学院=机械工程学院 内容=周五开会")
    await admin.say("确认发送")
    runtime = quiet_app.state.runtime

    assert await jobs.report_broadcasts(runtime) == 0  # nothing sent yet
    await quiet_app.state.outbox.drain()
    assert await jobs.report_broadcasts(runtime) == 1
    assert await jobs.report_broadcasts(runtime) == 0
    await Chat(sim, "S1").say("收到")
    clock.advance(hours=24)
    assert await jobs.report_broadcasts(runtime) == 1
    await quiet_app.state.outbox.drain()

    response = await sim.get("/sim/api/inbox", params={"user": "T1"})
    texts = [m["text"] for m in response.json()["messages"] if "群发" in m["text"]]
    finished = next(t for t in texts if "已发送完毕" in t)
    day = next(t for t in texts if "已满 24 小时" in t)
    assert "送达 3 人" in finished and "未确认 3 人" in finished
    assert "已确认 1 人，未确认 2 人" in day


async def test_the_preview_names_who_is_left_out_and_why(
    sim: httpx.AsyncClient, school: dict[str, int]
) -> None:
    await Chat(sim, "S3").say("退订 活动")
    preview = await Chat(sim, "T1").say("群发 活动 学院=机械工程学院 内容=周末郊游")
    assert "收件人：2 人" in preview and "已退订这类消息：1 人" in preview
    notice = await Chat(sim, "T1").say("群发 通知 学院=机械工程学院 内容=周末停电")
    assert "收件人：3 人" in notice and "已退订" not in notice


async def test_students_cannot_follow_up_a_broadcast(
    sim: httpx.AsyncClient, quiet_app: FastAPI, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    await admin.say("群发 类别=低保家庭 需回执 内容=请来领取新学期资料")
    await admin.say("确认发送")
    student = Chat(sim, "S2")
    for line in ("群发状态 1", "催办 1", "撤回 1", "批准 1"):
        reply = await student.say(line)
        assert "张三" not in reply and "低保" not in reply and "收件人" not in reply
    assert "还没有群发记录" in await student.say("群发记录")
