"""我的学生, 查看 and 撤销: what each role may see, what is due, and undoing a fresh log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, CaseFile, Person, VisitLog
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

PLAN = "每两周谈心一次，协助申请国家助学金"
SUMMARY = "情绪稳定，已申请助学金"
GUARDIAN = "13900001111"
NOT_IN_SCOPE = "在你可以查看的同学中没有找到"


@dataclass
class Team:
    zhang: int
    li: int
    wang: int
    mentor: int
    counsellor: int


@pytest.fixture
async def team(session: AsyncSession, clock: FakeClock) -> Team:
    """张三 (key attention, two categories, a plan, a log 3 days ago), 李四 (never contacted)
    and 王五 (last contact 16 days ago), all with 王老师 as academic mentor."""
    mentor = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    counsellor = await make_staff(session, name="李老师", code="T101", roles=("counsellor",))
    peer = await make_student(session, name="学长", code="P001", class_name="计科2201")
    zhang = await make_student(
        session,
        name="张三",
        code="S001",
        key_attention=True,
        categories=("orphan", "psychological"),
        guardian_phone=GUARDIAN,
        team={"academic_mentor": mentor, "student_affairs": counsellor, "peer_mentor": peer},
    )
    li = await make_student(
        session, name="李四", code="S002", class_name="计科2302", team={"academic_mentor": mentor}
    )
    wang = await make_student(
        session, name="王五", code="S003", class_name="计科2303", team={"academic_mentor": mentor}
    )
    now = clock.now()
    session.add(CaseFile(student_id=zhang.id or 0, opened_at=now, plan=PLAN, updated_at=now))
    _log(session, zhang, mentor, now - timedelta(days=3), SUMMARY)
    _log(session, wang, mentor, now - timedelta(days=16), "聊了聊实习")
    await session.commit()
    return Team(zhang.id or 0, li.id or 0, wang.id or 0, mentor.id or 0, counsellor.id or 0)


def _log(
    session: AsyncSession,
    student: Person,
    author: Person,
    at: datetime,
    text: str,
    kind: str = "谈心谈话",
) -> None:
    session.add(
        VisitLog(
            student_id=student.id or 0,
            author_id=author.id or 0,
            kind=kind,
            occurred_at=at,
            place="办公室",
            summary=text,
            effect="保持稳定",
            created_at=at,
        )
    )


async def _audit(session: AsyncSession, action: str) -> list[AuditEntry]:
    await session.rollback()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
    return list((await session.exec(query)).all())


async def _logs(session: AsyncSession) -> list[VisitLog]:
    await session.rollback()
    return list((await session.exec(select(VisitLog).order_by(col(VisitLog.id)))).all())


def _entry(reply: str, name: str) -> str:
    """The lines of one student in 我的学生 (name line and the contact line below it)."""
    lines = reply.splitlines()
    index = next(i for i, line in enumerate(lines) if f". {name}" in line)
    return "\n".join(lines[index : index + 2])


async def test_my_students_shows_last_contact_and_what_is_due(
    client: httpx.AsyncClient, session: AsyncSession, clock: FakeClock
) -> None:
    """A counsellor's special students: talked with 3 days ago by the peer mentor (the team's
    talk rule counts it) and visited in the dorm this month, never contacted, and talked with
    16 days ago: the policy's talk every 15 days."""
    counsellor = await make_staff(session, name="赵老师", code="T110")
    peer = await make_student(session, name="学姐", code="P110", class_name="计科2201")
    team = {"student_affairs": counsellor, "peer_mentor": peer}
    names = ("甲同学", "乙同学", "丙同学")
    students = [
        await make_student(session, name=name, code=f"S11{n}", categories=("orphan",), team=team)
        for n, name in enumerate(names)
    ]
    now = clock.now()
    for student, author, days in ((students[0], peer, 3), (students[2], counsellor, 16)):
        _log(session, student, author, now - timedelta(days=days), "聊了聊近况")
    _log(session, students[0], counsellor, now - timedelta(days=5), "寝室整洁", kind="走访寝室")
    await session.commit()

    reply = await Chat(client, "T110").say("我的学生")

    first, never, stale = (_entry(reply, name) for name in names)
    assert reply.startswith("你的帮扶学生（每 15 天至少谈心一次）")
    assert "3 天前" in first and "该联系了" not in first
    assert "还没有联系记录" in never and "该联系了" in never
    assert "16 天前" in stale and "该联系了" in stale


async def test_my_students_marks_what_todo_lists_and_nothing_else(
    client: httpx.AsyncClient, team: Team
) -> None:
    """王老师 is the academic mentor: the policy reminds the academic mentor of tutoring once
    a semester (not yet due), not of talks, so neither list asks 王老师 to contact anyone."""
    chat = Chat(client, "T100")

    listed = await chat.say("我的学生")
    todo = await chat.say("待办")

    assert "暂无待办" in todo
    assert "该联系了" not in listed
    assert "16 天前" in _entry(listed, "王五") and "还没有联系记录" in _entry(listed, "李四")


async def test_my_students_counts_calendar_days(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, clock: FakeClock
) -> None:
    li = await session.get(Person, team.li)
    mentor = await session.get(Person, team.mentor)
    assert li and mentor
    _log(session, li, mentor, clock.now() - timedelta(hours=18), "昨天下午聊了聊")
    await session.commit()

    reply = await Chat(client, "T100").say("我的学生")

    assert "上次联系：1 天前" in _entry(reply, "李四")


async def test_a_peer_mentors_list_has_no_key_attention_marker(
    client: httpx.AsyncClient, team: Team
) -> None:
    reply = await Chat(client, "P001").say("我的学生")

    assert "张三（计科2301）" in reply and "朋辈导师" in reply
    assert "重点关注" not in reply and "李四" not in reply


async def test_a_team_teacher_sees_categories_plan_and_latest_logs(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    reply = await Chat(client, "T101").say("查看 张三")

    assert "类别：孤儿、心理异常" in reply and f"一生一策：{PLAN}" in reply
    assert "谈心谈话（王老师）" in reply and SUMMARY in reply
    [entry] = await _audit(session, "view_student_full")
    assert (entry.actor_id, entry.subject_id) == (team.counsellor, team.zhang)


async def test_a_peer_mentor_sees_name_class_and_dorm_only(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    reply = await Chat(client, "P001").say("查看 张三")

    assert "张三（计科2301）" in reply and "东区3栋201" in reply
    for secret in ("孤儿", "心理异常", "类别", SUMMARY, PLAN, GUARDIAN, "重点关注", "S001"):
        assert secret not in reply
    [entry] = await _audit(session, "view_student_basic")
    assert entry.subject_id == team.zhang


@pytest.mark.parametrize(("college", "allowed"), [("计算机学院", True), ("外国语学院", False)])
async def test_a_college_admin_sees_students_of_their_own_college_only(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, college: str, allowed: bool
) -> None:
    await make_staff(session, code="A100", roles=("college_admin",), college=college)
    await session.commit()

    reply = await Chat(client, "A100").say("查看 S001")

    assert (NOT_IN_SCOPE not in reply) is allowed
    assert (PLAN in reply and "孤儿" in reply) is allowed
    granted = await _audit(session, "view_student_full")
    denied = await _audit(session, "denied_view_student")
    assert (len(granted), len(denied)) == ((1, 0) if allowed else (0, 1))


async def test_a_stranger_teacher_is_refused_and_audited(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    stranger = await make_staff(session, code="T999", roles=("academic_mentor",))
    await session.commit()
    stranger_id = stranger.id

    reply = await Chat(client, "T999").say("查看 张三")

    assert NOT_IN_SCOPE in reply and PLAN not in reply and "孤儿" not in reply
    [entry] = await _audit(session, "denied_view_student")
    assert (entry.actor_id, entry.subject_id) == (stranger_id, team.zhang)
    assert await _audit(session, "view_student_full") == []


async def test_same_names_are_viewed_by_class_as_listed(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    mentor = await session.get(Person, team.mentor)
    assert mentor
    await make_student(
        session, name="李四", code="S004", class_name="软工2302", team={"academic_mentor": mentor}
    )
    await session.commit()
    chat = Chat(client, "T100")

    ambiguous = await chat.say("查看 李四")
    listed = await chat.say("查看 李四（软工2302）")
    typed = await chat.say("查看 李四 软工2302")

    assert "李四（计科2302）" in ambiguous and "李四（软工2302）" in ambiguous
    assert "S004" in listed and "S004" in typed
    assert len(await _audit(session, "view_student_full")) == 2


async def test_undo_within_ten_minutes_deletes_my_last_log(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, clock: FakeClock
) -> None:
    chat = Chat(client, "T100")
    await chat.say("记录 李四 谈心 今天 聊了聊近况 效果稳定 无风险")
    await chat.say("确认")
    assert len(await _logs(session)) == 3
    clock.advance(minutes=9)

    reply = await chat.say("撤销")

    assert "已撤销刚才李四的「谈心谈话」记录" in reply
    assert [log.student_id for log in await _logs(session)] == [team.zhang, team.wang]
    [entry] = await _audit(session, "visit_log_undone")
    assert (entry.actor_id, entry.subject_id) == (team.mentor, team.li)
    assert "没有可以撤销" in await chat.say("撤销")


async def test_undo_after_ten_minutes_deletes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, clock: FakeClock
) -> None:
    chat = Chat(client, "T100")
    await chat.say("记录 李四 谈心 今天 聊了聊近况 效果稳定 无风险")
    await chat.say("确认")
    clock.advance(minutes=11)

    assert "没有可以撤销" in await chat.say("撤销")
    assert len(await _logs(session)) == 3
    assert await _audit(session, "visit_log_undone") == []


async def test_undo_never_touches_someone_elses_log(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    await Chat(client, "T101").say("记录 张三 谈心 今天 聊了聊近况 效果稳定 无风险")
    await Chat(client, "T101").say("确认")

    assert "没有可以撤销" in await Chat(client, "T100").say("撤销")
    assert len(await _logs(session)) == 3


async def test_a_teacher_in_two_seats_of_one_team_sees_the_student_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    teacher = await make_staff(session, code="T300", roles=("academic_mentor", "counsellor"))
    await make_student(
        session,
        name="赵六",
        code="S300",
        team={"academic_mentor": teacher, "student_affairs": teacher},
    )
    await session.commit()
    chat = Chat(client, "T300")

    listed = await chat.say("我的学生")
    viewed = await chat.say("查看 赵六")
    logged = await chat.say("记录 赵六 谈心 今天 聊了聊近况 效果稳定 无风险")

    assert listed.count("赵六") == 1
    assert "同名" not in viewed and "S300" in viewed
    assert "请核对帮扶记录" in logged and "1. 学生：赵六（计科2301）" in logged


async def _refusals(chat: Chat, *tokens: str) -> set[str]:
    """What `chat` hears for 查看 of each token, with the token itself taken out."""
    return {(await chat.say(f"查看 {token}")).replace(token, "X") for token in tokens}


@pytest.mark.parametrize(
    "asker",
    ["student", "peer_mentor", "stranger_teacher", "other_college_admin"],
)
async def test_a_student_you_may_not_see_gets_the_same_answer_as_one_who_does_not_exist(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, asker: str
) -> None:
    other = await make_staff(session, code="T200", roles=("academic_mentor",))
    for code, klass in (("S201", "计科2301"), ("S202", "软工2302")):
        await make_student(
            session, name="孙八", code=code, class_name=klass, team={"academic_mentor": other}
        )
    accounts = {
        "student": (await make_student(session, name="周九", code="S900")).code,
        "peer_mentor": "P001",  # 张三's peer mentor: 李四 is not theirs
        "stranger_teacher": (await make_staff(session, code="T999")).code,
        "other_college_admin": (
            await make_staff(session, code="A200", roles=("college_admin",), college="外国语学院")
        ).code,
    }
    await session.commit()
    chat = Chat(client, accounts[asker])

    answers = await _refusals(chat, "李四", "S002", "孙八", "S201", "赵无名", "S404")

    [answer] = answers
    assert NOT_IN_SCOPE in answer
    for secret in ("同名", "多位", "计科", "软工"):  # 无权限 it says either way (issue 14)
        assert secret not in answer
    denied = await _audit(session, "denied_view_student")
    assert {entry.subject_id for entry in denied} >= {team.li}


async def test_a_college_admin_is_offered_only_same_name_students_of_their_college(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    await make_student(
        session, name="李四", code="S500", college="外国语学院", class_name="英语2301"
    )
    await make_staff(session, code="A100", roles=("college_admin",), college="计算机学院")
    await session.commit()

    reply = await Chat(client, "A100").say("查看 李四")

    assert "S002" in reply and "计科2302" in reply
    for hidden in ("S500", "英语2301", "同名", "多位"):
        assert hidden not in reply


async def test_a_school_admin_chooses_among_same_name_students_by_class(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    await make_student(
        session, name="李四", code="S500", college="外国语学院", class_name="英语2301"
    )
    await make_staff(session, code="A000", roles=("school_admin",))
    await session.commit()
    chat = Chat(client, "A000")

    ambiguous = await chat.say("查看 李四")
    chosen = await chat.say("查看 李四（英语2301）")
    missing = await chat.say("查看 赵无名")

    assert "李四（计科2302）" in ambiguous and "李四（英语2301）" in ambiguous
    assert "S500" in chosen and "S002" not in chosen
    assert "没有找到「赵无名」" in missing and NOT_IN_SCOPE not in missing


async def test_a_college_admin_without_a_college_sees_no_college_less_student(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_student(session, name="吴十", code="S600", college=None)  # type: ignore[arg-type]
    await make_staff(session, code="A300", roles=("college_admin",), college=None)  # type: ignore[arg-type]
    await session.commit()

    reply = await Chat(client, "A300").say("查看 S600")

    assert NOT_IN_SCOPE in reply and "吴十" not in reply
