"""A small generated college for reminder tests: teams, special students and visit logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, VisitLog
from tests.fakes.roster import make_staff, make_student

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
CATEGORIES = ("financial_hardship", "orphan", "psychological", "disabled")


@dataclass
class College:
    counsellor: Person
    mentor: Person
    peer: Person
    admin: Person
    school_admin: Person
    students: list[Person] = field(default_factory=list)
    other_counsellor: Person | None = None

    @property
    def other(self) -> Person:
        """The other college's counsellor (built with `other_college`)."""
        assert self.other_counsellor is not None
        return self.other_counsellor


async def build_college(
    session: AsyncSession, *, students: int = 6, key_attention: int = 1, other_college: int = 0
) -> College:
    """`students` special students of 计算机学院 with one full team; the first
    `key_attention` are key-attention students. Plus `other_college` special students of
    机械工程学院 (their own counsellor), and an ordinary student with a team (not special)."""
    college = College(
        counsellor=await make_staff(session, name="王老师", code="T100"),
        mentor=await make_staff(session, name="李老师", code="T200", roles=("academic_mentor",)),
        peer=await make_student(session, name="周朋辈", code="P300", categories=()),
        admin=await make_staff(session, name="院管理员", code="T900", roles=("college_admin",)),
        school_admin=await make_staff(
            session, name="校管理员", code="T901", roles=("school_admin",), college="学生处"
        ),
    )
    team = {
        "student_affairs": college.counsellor,
        "academic_mentor": college.mentor,
        "peer_mentor": college.peer,
    }
    for n in range(students):
        college.students.append(
            await make_student(
                session,
                name=_name(n),
                code=f"2025{n + 1:06d}",
                class_name=f"计科230{n % 3 + 1}",
                categories=(CATEGORIES[n % len(CATEGORIES)],),
                key_attention=n < key_attention,
                team=team,
            )
        )
    await make_student(session, name="普通生", code="2023999999", team=team)
    if other_college:
        await _other_college(session, college, other_college)
    await session.flush()
    return college


async def _other_college(session: AsyncSession, college: College, count: int) -> None:
    other = await make_staff(session, name="陈老师", code="T400", college="机械工程学院")
    college.other_counsellor = other
    for n in range(count):
        college.students.append(
            await make_student(
                session,
                name=f"机械{_name(n + 10)}",
                code=f"2024{n + 1:06d}",
                college="机械工程学院",
                class_name="机械2401",
                categories=("orphan",),
                team={"student_affairs": other},
            )
        )


def _name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)] + GIVEN[(n * 7 + 3) % len(GIVEN)]


async def log_visit(
    session: AsyncSession, student: Person, author: Person, *, kind: str, at: datetime
) -> VisitLog:
    assert student.id is not None and author.id is not None
    log = VisitLog(
        student_id=student.id, author_id=author.id, kind=kind, occurred_at=at, created_at=at
    )
    session.add(log)
    await session.flush()
    return log
