"""The case file (档案表, seed 001 附件2) as a docx document, printable on A4."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from storage.exports.watermark import Watermark

COLUMNS = 6
FONT = "宋体"
# The label column is wider so that 既往生活史与当前生活情景 fits on two lines.
LABELS: dict[str, tuple[str, str, str]] = {
    "student": ("辅导学生", "性别", "班级"),
    "details": ("年  龄", "籍贯", "联系方式"),
    "long": ("问题类型及问题描述", "既往生活史与当前生活情景", "辅导方案"),
}
"""The row labels of seed 001 附件2, word for word: the form's column names (data)."""
WIDTHS = (Cm(3.2), Cm(3.0), Cm(1.8), Cm(3.2), Cm(2.2), Cm(3.6))


@dataclass(frozen=True, slots=True)
class CounselRecord:
    """One 辅导记录: its heading line (number, time, place, effect) and its content."""

    heading: str
    content: str


@dataclass(frozen=True, slots=True)
class CaseFileDoc:
    """Every text of the form, already worded; labels are the seed's."""

    title: str
    teacher_line: str
    """辅导老师：…  辅导时间：… — …"""
    student: tuple[str, str, str]
    """辅导学生, 性别, 班级."""
    details: tuple[str, str, str]
    """年龄, 籍贯, 联系方式."""
    problems: str
    life_history: str
    plan: str
    records: tuple[CounselRecord, ...]
    closing: str
    """是否建议撤销建档：…"""
    watermark: Watermark


def casefile_docx(doc: CaseFileDoc) -> bytes:
    document = Document()
    _page(document, doc.watermark)
    _paragraph(document.add_paragraph(), doc.title, size=16, bold=True, centre=True)
    _paragraph(document.add_paragraph(), doc.teacher_line, size=11)
    table = document.add_table(rows=0, cols=COLUMNS)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _pairs(table, LABELS["student"], doc.student)
    _pairs(table, LABELS["details"], doc.details)
    problems, life_history, plan = LABELS["long"]
    _labelled(table, problems, doc.problems)
    _labelled(table, life_history, doc.life_history)
    _labelled(table, plan, doc.plan)
    for record in doc.records:
        _wide(table, record.heading, bold=True)
        _wide(table, record.content)
    _wide(table, doc.closing, bold=True)
    table.autofit = False
    for column, width in zip(table.columns, WIDTHS, strict=True):
        column.width = width  # the grid: what LibreOffice and Word lay the table out by
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS, strict=True):
            cell.width = width
    _paragraph(document.add_paragraph(), doc.watermark.text, size=8, grey=True)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _page(document: object, watermark: Watermark) -> None:
    section = document.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    style = document.styles["Normal"]  # type: ignore[attr-defined]
    style.font.name, style.font.size = FONT, Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # CJK text takes this one
    for part in (section.header, section.footer):
        _paragraph(part.paragraphs[0], watermark.text, size=8, grey=True, centre=True)


def _paragraph(
    paragraph: Paragraph,
    text: str,
    *,
    size: float,
    bold: bool = False,
    centre: bool = False,
    grey: bool = False,
) -> None:
    run = paragraph.add_run(text)
    run.font.size, run.font.bold = Pt(size), bold
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if grey:
        run.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _fill(cell: _Cell, text: str, *, bold: bool = False, centre: bool = False) -> None:
    lines = text.split("\n") if text else [""]
    _paragraph(cell.paragraphs[0], lines[0], size=10.5, bold=bold, centre=centre)
    for line in lines[1:]:
        _paragraph(cell.add_paragraph(), line, size=10.5, bold=bold)


def _new_row(table: Table) -> tuple[_Cell, ...]:
    return tuple(table.add_row().cells)  # type: ignore[no-untyped-call]


def _pairs(table: Table, labels: tuple[str, str, str], values: tuple[str, str, str]) -> None:
    cells = _new_row(table)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        _fill(cells[2 * index], label, bold=True, centre=True)
        _fill(cells[2 * index + 1], value, centre=True)


def _labelled(table: Table, label: str, text: str) -> None:
    cells = _new_row(table)
    _fill(cells[0], label, bold=True, centre=True)
    _fill(cells[1].merge(cells[COLUMNS - 1]), text)


def _wide(table: Table, text: str, *, bold: bool = False) -> None:
    cells = _new_row(table)
    _fill(cells[0].merge(cells[COLUMNS - 1]), text, bold=bold)
