"""The demo's grades: both semesters named as the shipped policy names them, some yellow and
some red warnings (as told already), and the ledger column filled."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.policy.calendar import latest_semesters
from handlers.policy.load import load_policy
from storage.academic.ledger import academic_texts
from storage.demo.load import load_demo
from storage.models import AcademicWarning, Grade, OutboxMessage
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)


async def test_the_demo_has_warnings_of_both_levels_in_the_policys_semesters(
    session: AsyncSession,
) -> None:
    loaded = await load_demo(session, now=NOW)
    warnings = (await session.exec(select(AcademicWarning))).all()
    current, previous = latest_semesters(NOW.date(), load_policy(), count=2)

    assert {w.semester for w in warnings} == {current.name, previous.name}
    assert len(warnings) == 2 * loaded.special
    levels = Counter(w.level for w in warnings if w.semester == current.name)
    assert levels["黄色"] > 0 and levels["红色"] > 0 and levels[None] > levels["黄色"]
    assert all(w.notified_level == w.level for w in warnings)
    assert (await session.exec(select(OutboxMessage))).all() == []
    retakes = (await session.exec(select(Grade).where(Grade.retake == True))).all()  # noqa: E712
    assert retakes and {g.semester for g in retakes} == {current.name}

    red = next(w.student_id for w in warnings if w.level == "红色" and w.semester == current.name)
    texts = await academic_texts(session, student_ids=[red], semester=current.name)
    assert "学位课平均绩点" in texts[red] and texts[red].endswith("预警：红色")
