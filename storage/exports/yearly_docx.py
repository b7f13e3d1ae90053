"""The yearly summary as a Word document (python-docx): a title, then per area a heading, the
generated paragraphs (to be edited), a table and a chart; the watermark in header and footer."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from storage.reports.stats_model import Table

FONT = "SimSun"  # Word's usual Chinese body font; LibreOffice substitutes Noto CJK
HEADING_FONT = "SimHei"
CHART_WIDTH = Cm(15)


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    paragraphs: list[str]
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def yearly_docx(*, title: str, subtitle: str, mark: str, sections: Sequence[Section]) -> bytes:
    document = Document()
    _page(document, mark)
    _styles(document)
    heading = document.add_heading(title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lead = document.add_paragraph(subtitle)
    lead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in sections:
        _section(document, section)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page(document: DocumentObject, mark: str) -> None:
    page = document.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Cm(21), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(page, side, Cm(2.5))
    page.header.paragraphs[0].text = mark
    page.footer.paragraphs[0].text = mark
    for part in (page.header.paragraphs[0], page.footer.paragraphs[0]):
        part.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in part.runs:
            run.font.size = Pt(8)


def _styles(document: DocumentObject) -> None:
    """Chinese fonts for body and headings: the east-Asian font is a separate attribute."""
    for name, face in (("Normal", FONT), ("Title", HEADING_FONT), ("Heading 1", HEADING_FONT)):
        style = document.styles[name]
        style.font.name = face
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), face)
    document.styles["Normal"].font.size = Pt(11)


def _section(document: DocumentObject, section: Section) -> None:
    document.add_heading(section.heading, level=1)
    for text in section.paragraphs:
        paragraph = document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(22)
    for table in section.tables:
        _table(document, table)
    for chart in section.charts:
        document.add_picture(io.BytesIO(chart.png), width=CHART_WIDTH)
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption = document.add_paragraph(chart.caption)
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _table(document: DocumentObject, table: Table) -> None:
    document.add_paragraph(table.title).runs[0].bold = True
    grid = document.add_table(rows=1, cols=len(table.head))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    # The header row repeats on every page the table runs onto.
    header = grid.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))
    for cell, text in zip(grid.rows[0].cells, table.head, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = str(value)
    document.add_paragraph()
