"""Workbooks read as Excel shows them: rows from A1, shared and rich strings, dates in either
epoch, and what calamine cannot see in an .xlsx (hidden rows, formula errors) found by a scan."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from storage.roster.book import Book, BookError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

SHARED = f"""<sst xmlns="{MAIN}"><si><t>学号</t></si>
<si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r>
<rPh sb="0" eb="1"><t>ZHANG</t></rPh></si></sst>"""
# Style 1 is Chinese Excel's built-in 「yyyy年m月d日」 (id 31), style 2 a custom date, 3 text.
STYLES = f"""<styleSheet xmlns="{MAIN}"><numFmts count="1">
<numFmt numFmtId="164" formatCode="yyyy/m/d\\ h:mm"/></numFmts>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="31"/><xf numFmtId="164"/><xf numFmtId="49"/>
</cellXfs></styleSheet>"""
# Written with a namespace prefix, as some exporters do; row 2 is missing, row 5 hidden.
SHEET = f"""<x:worksheet xmlns:x="{MAIN}"><x:dimension ref="A1:F5"/><x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row>
<x:row r="3"><x:c r="A3"><x:v>2023000001</x:v></x:c><x:c r="B3" s="1"><x:v>38412</x:v></x:c>
<x:c r="C3" t="b"><x:v>1</x:v></x:c><x:c r="D3" t="inlineStr"><x:is><x:t>内联</x:t></x:is></x:c>
<x:c r="E3" t="str"><x:f>A1</x:f><x:v>公式</x:v></x:c><x:c r="F3" s="2"><x:v>38412.5</x:v></x:c>
</x:row><x:row r="4"><x:c r="B4" s="0" t="e"><x:f>VLOOKUP(A4,D:D,2,0)</x:f><x:v>#N/A</x:v></x:c>
<x:c r="E4" s="3"><x:v>1.3800001111E10</x:v></x:c><x:c r="F4" t="e"/></x:row>
<x:row r="5" spans="1:6" hidden="1"><x:c r="A5" t="e"><x:v>#REF!</x:v></x:c></x:row>
</x:sheetData></x:worksheet>"""


def _workbook(path: Path, *, date1904: bool = False) -> Path:
    flag = ' date1904="1"' if date1904 else ""
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{TYPES}"><Default Extension="xml" '
        'ContentType="application/xml"/><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>',
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
    with Book(_workbook(tmp_path / "a.xlsx", date1904=date1904)) as book:
        assert [(sheet.name, sheet.visible) for sheet in book.sheets] == [
            ("说明", True),
            ("学生", True),
        ]
        grids = book.grids(["学生", "说明"])

    noon = datetime(day.year, day.month, day.day, 12)
    assert grids["学生"].cells == [
        ["学号", "张三", "", "", "", ""],
        ["", "", "", "", "", ""],
        [2023000001, day, True, "内联", "公式", noon],
        ["", "#N/A", "", "", 13800001111, ""],
        ["#REF!", "", "", "", "", ""],
    ]
    assert grids["学生"].hidden_rows == {5}
    assert grids["说明"].cells == []


def test_reader_refuses_what_is_not_a_workbook(tmp_path: Path) -> None:
    truncated = tmp_path / "a.xlsx"
    truncated.write_bytes(b"PK\x03\x04 truncated")
    other_zip = tmp_path / "b.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    web_page = tmp_path / "c.xls"  # what some web systems export as "Excel"
    web_page.write_text("<html><table><tr><td>学号</td></tr></table></html>")

    for path in (truncated, other_zip, web_page):
        with pytest.raises(BookError):
            Book(path)
