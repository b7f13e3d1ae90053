"""Roster import: people, roles, categories, teams and accounts land; re-imports are upserts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    AuditEntry,
    MessengerAccount,
    Person,
    PersonKind,
    PersonRole,
    StudentCategory,
)
from storage.people.identify import identify
from storage.people.roles import roles_of
from storage.roster.importer import KindCounts
from tests.fakes.roster import make_staff, make_student
from tests.fakes.roster_files import (
    STUDENT_HEADER,
    import_files,
    row_counts,
    student,
    team,
    write_xlsx,
)

PHONE = "13800001111"


def _students() -> list[dict[str, object]]:
    return [
        student(
            "2023001",
            姓名="张三",
            联系电话="138-0000 1111",
            家长姓名="张建国",
            家长电话=13900002222.0,
            出生日期=datetime(2005, 3, 1),
            类别="孤儿、残疾",
            重点关注="是",
            学业导师="T1",
            学工教师="T2",
            朋辈导师="2023003",
            企业微信账号="ZhangSan",
            钉钉账号="zs01",
            预计毕业年份=2027.0,
        ),
        student("2023002", 性别="女", 类别="低保家庭，其他", 学工教师="T3", 出生日期="2005/3/1"),
        student(2023003.0, 出生日期=20050301, 重点关注="否"),  # numbers as Excel stores them
    ]


def _roster(tmp_path: Path, name: str = "名单.xlsx") -> Path:
    return write_xlsx(tmp_path / name, students=_students(), staff_rows=team())


async def _person(session: AsyncSession, code: str) -> Person:
    return (await session.exec(select(Person).where(Person.code == code))).one()


async def _people(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Person]:
    async with sessions() as session:
        return {p.code: p for p in (await session.exec(select(Person))).all()}


async def test_workbook_imports_people_with_their_fields(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    report = await import_files(sessions, _roster(tmp_path))

    assert report.kinds == {
        PersonKind.STUDENT: KindCounts(created=3),
        PersonKind.STAFF: KindCounts(created=3),
    }
    zhang = await _person(session, "2023001")
    assert (zhang.kind, zhang.name, zhang.gender, zhang.college) == (
        "student",
        "张三",
        "男",
        "计算机学院",
    )
    assert (zhang.phone, zhang.guardian_name, zhang.guardian_phone) == (
        PHONE,
        "张建国",
        "13900002222",
    )
    assert (zhang.birth_date, zhang.key_attention, zhang.graduation_year) == (
        date(2005, 3, 1),
        True,
        2027,
    )
    third = await _person(session, "2023003")
    assert (third.birth_date, third.key_attention, third.phone) == (date(2005, 3, 1), False, None)
    assert (await _person(session, "T2")).phone == "13900000002"


async def test_workbook_imports_roles_categories_teams_and_accounts(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(sessions, _roster(tmp_path))

    ids = {p.code: p.id for p in (await session.exec(select(Person))).all()}
    codes = {person_id: code for code, person_id in ids.items()}
    roles = {(codes[r.person_id], r.role) for r in (await session.exec(select(PersonRole))).all()}
    assert roles == {
        ("T1", "academic_mentor"),
        ("T2", "counsellor"),
        ("T2", "college_admin"),
        ("T3", "class_teacher"),
    }
    derived = await roles_of(session, [ids["2023003"] or 0, ids["2023001"] or 0])
    assert derived[ids["2023003"] or 0] == {"student", "peer_mentor"}  # the seat, not a row
    assert derived[ids["2023001"] or 0] == {"student"}
    categories = (await session.exec(select(StudentCategory))).all()
    assert {(codes[c.student_id], c.category_code) for c in categories} == {
        ("2023001", "orphan"),
        ("2023001", "disabled"),
        ("2023002", "subsistence_allowance"),
        ("2023002", "other"),
    }
    seats = (await session.exec(select(Assignment))).all()
    assert {(codes[a.student_id], a.role, codes[a.mentor_id]) for a in seats} == {
        ("2023001", "academic_mentor", "T1"),
        ("2023001", "student_affairs", "T2"),
        ("2023001", "peer_mentor", "2023003"),
        ("2023002", "student_affairs", "T3"),
    }
    accounts = (await session.exec(select(MessengerAccount))).all()
    assert {(codes[a.person_id], a.channel, a.account, a.account_key) for a in accounts} == {
        ("2023001", "wecom", "ZhangSan", "zhangsan"),
        ("2023001", "dingtalk", "zs01", "zs01"),
        ("T1", "wecom", "Mentor.One", "mentor.one"),
    }
    found = await identify(session, channel="wecom", account="ZHANGSAN")
    assert found is not None and found[0].code == "2023001"


async def test_raw_database_holds_no_plaintext_phone(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await import_files(sessions, _roster(tmp_path))

    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM person"))).all()
    dump = repr(rows)
    assert "张三" in dump  # the dump is real
    for secret in (PHONE, "13900002222", "张建国", "13900000002"):
        assert secret not in dump


async def test_import_is_audited_with_counts_only(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(sessions, _roster(tmp_path))

    [entry] = (await session.exec(select(AuditEntry))).all()
    assert entry.action == "roster_import"
    assert entry.detail is not None and '"created": 3' in entry.detail
    assert "张三" not in entry.detail and "2023001" not in entry.detail


async def test_reimport_changes_nothing(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    roster = _roster(tmp_path)
    await import_files(sessions, roster)
    before, people = await row_counts(engine), await _people(sessions)

    report = await import_files(sessions, roster)

    assert not report.changed
    assert report.kinds == {
        PersonKind.STUDENT: KindCounts(unchanged=3),
        PersonKind.STAFF: KindCounts(unchanged=3),
    }
    after = await row_counts(engine)
    assert after == before | {"audit_log": before["audit_log"] + 1}
    assert {c: p.updated_at for c, p in (await _people(sessions)).items()} == {
        c: p.updated_at for c, p in people.items()
    }


async def test_changing_one_row_updates_exactly_that_person(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(sessions, _roster(tmp_path))
    rows = _students()
    rows[1] = rows[1] | {"寝室": "西区1栋101", "类别": "其他", "钉钉账号": "lisi"}
    changed = write_xlsx(tmp_path / "changed.xlsx", students=rows, staff_rows=team())

    report = await import_files(sessions, changed)

    assert report.kinds[PersonKind.STUDENT] == KindCounts(updated=1, unchanged=2)
    assert report.kinds[PersonKind.STAFF] == KindCounts(unchanged=3)
    li = await _person(session, "2023002")
    assert li.dorm == "西区1栋101"
    categories = await session.exec(
        select(StudentCategory.category_code).where(StudentCategory.student_id == li.id)
    )
    assert categories.all() == ["other"]
    found = await identify(session, channel="dingtalk", account="LISI")
    assert found is not None and found[0].code == "2023002"


async def test_a_changed_phone_is_an_update(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(sessions, _roster(tmp_path))
    rows = _students()
    rows[0] = rows[0] | {"联系电话": "13800009999"}

    report = await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", students=rows))

    assert report.kinds == {PersonKind.STUDENT: KindCounts(updated=1, unchanged=2)}
    assert (await _person(session, "2023001")).phone == "13800009999"


async def test_people_absent_from_the_file_are_kept_and_counted(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await make_student(session, code="2019001")
    await session.commit()

    report = await import_files(sessions, _roster(tmp_path))

    assert report.kinds[PersonKind.STUDENT].absent == 1
    assert report.kinds[PersonKind.STAFF].absent == 0
    assert (await _person(session, "2019001")).name == "张三"


async def test_references_may_point_to_people_already_in_the_database(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    mentor = await make_staff(session, code="T9", roles=("academic_mentor",))
    teacher = await make_staff(session, code="T8", roles=("class_teacher",))
    peer = await make_student(session, code="2022009")
    await session.commit()
    rows = [student("2023001", 学业导师="T9", 学工教师="T8", 朋辈导师="2022009")]

    report = await import_files(sessions, write_xlsx(tmp_path / "s.xlsx", students=rows))

    assert report.kinds == {PersonKind.STUDENT: KindCounts(created=1, absent=1)}
    seats = await session.exec(select(Assignment.role, Assignment.mentor_id))
    assert set(seats.all()) == {
        ("academic_mentor", mentor.id),
        ("student_affairs", teacher.id),
        ("peer_mentor", peer.id),
    }
    assert (await roles_of(session, [peer.id or 0]))[peer.id or 0] == {"student", "peer_mentor"}


async def test_missing_optional_columns_leave_stored_values_alone(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(sessions, _roster(tmp_path))
    header = [name for name in STUDENT_HEADER if name not in ("联系电话", "类别", "学业导师")]

    report = await import_files(
        sessions, write_xlsx(tmp_path / "b.xlsx", students=_students(), student_header=header)
    )

    assert not report.changed
    zhang = await _person(session, "2023001")
    assert zhang.phone == PHONE
    seats = await session.exec(select(Assignment.role).where(Assignment.student_id == zhang.id))
    assert "academic_mentor" in seats.all()


async def test_an_account_may_move_to_another_person_in_the_same_file(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(sessions, _roster(tmp_path))
    rows = _students()
    rows[0] = rows[0] | {"企业微信账号": "zhangsan-new"}
    rows[1] = rows[1] | {"企业微信账号": "ZHANGSAN"}

    report = await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", students=rows))

    assert report.kinds[PersonKind.STUDENT] == KindCounts(updated=2, unchanged=1)
    found = await identify(session, channel="wecom", account="zhangsan")
    assert found is not None and found[0].code == "2023002"


async def test_dry_run_reports_and_writes_nothing(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    before = await row_counts(engine)

    report = await import_files(sessions, _roster(tmp_path), dry_run=True)

    assert report.dry_run and report.changed
    assert report.kinds[PersonKind.STUDENT] == KindCounts(created=3)
    assert await row_counts(engine) == before
