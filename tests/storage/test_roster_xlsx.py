"""The streaming .xlsx reader gives what Excel shows: shared and rich strings, dates, gaps."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from storage.roster_xlsx import XlsxBook, XlsxError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

SHARED = f"""<sst xmlns="{MAIN}"><si><t>学号</t></si>
<si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r>
<rPh sb="0" eb="1"><t>ZHANG</t></rPh></si></sst>"""
# Style 1 is Chinese Excel's built-in 「yyyy年m月d日」 (id 31), style 2 a custom date, 3 text.
STYLES = f"""<styleSheet xmlns="{MAIN}"><numFmts count="1">
<numFmt numFmtId="164" formatCode="yyyy/m/d\\ h:mm"/></numFmts>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="31"/><xf numFmtId="164"/><xf numFmtId="49"/>
</cellXfs></styleSheet>"""
SHEET = f"""<worksheet xmlns="{MAIN}" xmlns:x14="urn:x14"><x14:pre><x14:a/></x14:pre>
<dimension ref="A1:E4"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>
<row r="3"><c t="n"><v>2023000001</v></c><c s="1"><v>38412</v></c><c t="b"><v>1</v></c>
<c t="inlineStr"><is><t>内联</t></is></c><c t="str"><v>公式</v></c><c s="2"><v>38412.5</v></c></row>
<row r="4"><c r="E4" s="3"><v>1.3800001111E10</v></c><c r="F4"/></row>
</sheetData></worksheet>"""


def _workbook(path: Path, *, date1904: bool = False) -> Path:
    flag = ' date1904="1"' if date1904 else ""
    parts = {
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr{flag}/>'
        '<sheets><sheet name="说明" sheetId="2" r:id="rId2"/>'
        '<sheet name="学生" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="/xl/worksheets/a.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/b.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId4" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
        "xl/sharedStrings.xml": SHARED,
        "xl/styles.xml": STYLES,
        "xl/worksheets/a.xml": SHEET,
        "xl/worksheets/b.xml": f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>',
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize("date1904, day", [(False, date(2005, 3, 1)), (True, date(2009, 3, 2))])
def test_reader_follows_excel_file_format(tmp_path: Path, date1904: bool, day: date) -> None:
    with XlsxBook(_workbook(tmp_path / "a.xlsx", date1904=date1904)) as book:
        assert book.sheet_names == ["说明", "学生"]
        rows = list(book.rows("学生"))
        assert list(book.rows("说明")) == []

    noon = datetime(day.year, day.month, day.day, 12)
    assert rows == [
        (1, ["学号", "张三"]),
        (3, [2023000001, datetime(day.year, day.month, day.day), True, "内联", "公式", noon]),
        (4, [None, None, None, None, 13800001111, None]),
    ]


def test_reader_agrees_with_openpyxl_on_a_workbook_it_wrote(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "学生"
    sheet.append(["学号", "电话", "生日", "是否", "比例", None, "备注"])
    sheet.append([2023000001, 13800001111.0, datetime(2005, 3, 1), False, 0.25, None, "   "])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["T-1", "138-0000", date(2004, 1, 2), "是", -3, None, "末尾"])
    sheet["C4"].number_format = "yyyy年m月d日"
    path = tmp_path / "openpyxl.xlsx"
    workbook.save(path)

    expected = openpyxl.load_workbook(path, read_only=True)["学生"]
    with XlsxBook(path) as book:
        ours = {number: values for number, values in book.rows("学生")}

    for number, row in enumerate(expected.iter_rows(values_only=True), start=1):
        values = ours.get(number, [])
        assert tuple(values + [None] * (len(row) - len(values))) == row


def test_reader_refuses_what_is_not_a_workbook(tmp_path: Path) -> None:
    truncated = tmp_path / "a.xlsx"
    truncated.write_bytes(b"PK\x03\x04 truncated")
    other_zip = tmp_path / "b.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    for path in (truncated, other_zip):
        with pytest.raises(XlsxError):
            XlsxBook(path)
