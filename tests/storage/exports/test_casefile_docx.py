"""The 档案表 (seed 001 附件2) against the database, cell by cell, with its watermark."""

from __future__ import annotations

from io import BytesIO
from zoneinfo import ZoneInfo

from docx import Document
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.exports.watermark import watermark
from storage.reports.casefile_rows import CaseFileHead, casefile_document
from tests.storage.exports.export_school import NOW, build_school

TZ = ZoneInfo("Asia/Shanghai")
MARK = "导出：钱校长 A900 2026-11-23 10:00 · 仅限工作使用"


async def _document(session: AsyncSession, student_id: int) -> Document:  # type: ignore[valid-type]
    head = CaseFileHead(NOW, TZ, watermark(name="钱校长", code="A900", at=NOW.astimezone(TZ)))
    data = await casefile_document(session, student_id, head)
    assert data is not None
    return Document(BytesIO(data))


def _texts(row: object) -> list[str]:
    """A row's cells, a merged cell once."""
    cells: list[str] = []
    for cell in row.cells:  # type: ignore[attr-defined]
        if not cells or cell.text != cells[-1]:
            cells.append(cell.text)
    return cells


async def test_the_case_file_has_the_seed_form_and_the_database_values(
    session: AsyncSession,
) -> None:
    school = await build_school(session)
    doc = await _document(session, school.ids["S001"])

    paragraphs = [p.text for p in doc.paragraphs if p.text]
    assert paragraphs[:2] == [
        "特殊群体学生档案表",
        "辅导老师：王芳        辅导时间：2026年9月1日 — 2026年11月23日",
    ]
    rows = [_texts(row) for row in doc.tables[0].rows]
    assert rows[0] == ["辅导学生", "张三", "性别", "男", "班级", "计科2301"]
    assert rows[1] == ["年  龄", "20", "籍贯", "江西赣州", "联系方式", "13500000001"]
    assert rows[2] == [
        "问题类型及问题描述",
        "经济困难：单亲，收入低\n家庭经济困难：父母务农，家庭年收入不足两万",
    ]
    assert rows[3] == ["既往生活史与当前生活情景", "父亲务农"]
    assert rows[4] == ["辅导方案", "学业：每周辅导一次\n经济：申请国家助学金"]
    headings = [r[0] for r in rows[5:-1:2]]
    assert headings == [
        "1.辅导记录    辅导时间：2026-06-10 10:00    辅导地点：办公室    效果评估：有所恶化",
        "2.辅导记录    辅导时间：2026-09-20 10:00    辅导地点：办公室    效果评估：保持稳定",
        "3.辅导记录    辅导时间：2026-10-08 10:00    辅导地点：寝室    效果评估：",
        "4.辅导记录    辅导时间：2026-11-02 10:00    辅导地点：食堂    效果评估：有所改善",
    ]
    assert rows[12] == ["谈心谈话（李同学）：一起吃饭聊天\n后续跟进：下周再聊"]
    assert rows[-1] == ["是否建议撤销建档：是，李老师建议撤销建档（明显好转），待审批"]
    section = doc.sections[0]
    assert section.header.paragraphs[0].text == MARK and section.footer.paragraphs[0].text == MARK
    assert paragraphs[-1] == MARK
    assert round(section.page_width.cm) == 21 and round(section.page_height.cm) == 30


async def test_a_closed_file_says_so_and_ends_on_its_closing_day(session: AsyncSession) -> None:
    school = await build_school(session)
    doc = await _document(session, school.ids["S002"])

    assert [p.text for p in doc.paragraphs if p.text][1].endswith("— 2026年10月15日")
    rows = [_texts(row) for row in doc.tables[0].rows]
    assert rows[2][1] == "生理缺陷：先天性心脏病\n班主任核实情况：已核实病历"
    assert rows[-1] == ["是否建议撤销建档：已撤销建档（2026年10月15日）"]
