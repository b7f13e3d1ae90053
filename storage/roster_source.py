"""Reading roster files: .xlsx sheets 学生/教职工, or one .csv per kind told apart by its header."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from storage.models import PersonKind
from storage.roster_sheet import Issue, Sheet, Ticker
from storage.roster_xlsx import CellValue, XlsxBook, XlsxError

STUDENT_SHEET = "学生"
STAFF_SHEET = "教职工"
STUDENT_KEY = "学号"
STAFF_KEY = "工号"
SHEET_KINDS = {STUDENT_SHEET: PersonKind.STUDENT, STAFF_SHEET: PersonKind.STAFF}
_TICK = 1000

NO_FILE = "文件不存在"
BAD_TYPE = "不支持的文件类型，请使用 .xlsx 或 .csv（.xls 请先在 Excel 中另存为 .xlsx）"
BAD_XLSX = "无法读取，不是有效的 .xlsx 工作簿"
NO_SHEETS = f"没有名为「{STUDENT_SHEET}」或「{STAFF_SHEET}」的工作表"
BAD_ENCODING = "无法识别文字编码，请另存为 UTF-8 或 GBK 编码的 CSV"
UNKNOWN_KIND = f"表头中没有「{STUDENT_KEY}」或「{STAFF_KEY}」列，无法判断是学生还是教职工名单"
BOTH_KINDS = f"表头中同时有「{STUDENT_KEY}」和「{STAFF_KEY}」列，学生和教职工请分成两个文件"


def column_name(value: CellValue) -> str | None:
    """A header cell as a column name; a trailing * (the template's required mark) is dropped."""
    if value is None:
        return None
    name = str(value).strip().rstrip("*＊").strip()
    return name or None


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sources(paths: list[Path], ticker: Ticker) -> tuple[list[Sheet], list[Issue]]:
    """Every roster sheet in the files, labelled for messages, plus file-level issues."""
    sheets: list[Sheet] = []
    issues: list[Issue] = []
    for source, path in enumerate(paths):
        found, problem = _read_source(source, path, ticker, many=len(paths) > 1)
        sheets.extend(found)
        if problem:
            issues.append(Issue(source, 0, 0, 0, f"{path.name}: {problem}"))
    for sheet in sheets:
        sheet.prefix = f"{sheet.label} " if len(sheets) > 1 else ""
    return sheets, issues


def _read_source(
    source: int, path: Path, ticker: Ticker, *, many: bool
) -> tuple[list[Sheet], str | None]:
    if not path.is_file():
        return [], NO_FILE
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(source, path, ticker, many=many)
    if suffix == ".csv":
        return _read_csv(source, path, ticker)
    return [], BAD_TYPE


def _read_workbook(
    source: int, path: Path, ticker: Ticker, *, many: bool
) -> tuple[list[Sheet], str | None]:
    try:
        with XlsxBook(path) as book:
            names = {name.strip(): name for name in book.sheet_names}
            titles = [(title, kind) for title, kind in SHEET_KINDS.items() if title in names]
            sheets = [
                _workbook_sheet(book, names[title], kind, source, ticker) for title, kind in titles
            ]
    except XlsxError:
        return [], BAD_XLSX
    if not sheets:
        return [], NO_SHEETS
    for position, sheet in enumerate(sheets):
        sheet.position = position
        sheet.label = f"{path.name} {sheet.label}" if many else sheet.label
    return [sheet for sheet in sheets if sheet.header], None


def _workbook_sheet(
    book: XlsxBook, name: str, kind: PersonKind, source: int, ticker: Ticker
) -> Sheet:
    sheet = Sheet(source=source, label=name.strip(), kind=kind, header=[], rows=[])
    for number, values in book.rows(name):
        if all(is_blank(value) for value in values):
            continue
        if not sheet.header:
            sheet.header = values
            continue
        sheet.rows.append((number, values))
        if len(sheet.rows) % _TICK == 0:
            ticker.advance(_TICK)
    ticker.advance(len(sheet.rows) % _TICK)
    return sheet


def _read_csv(source: int, path: Path, ticker: Ticker) -> tuple[list[Sheet], str | None]:
    text = _decode(path.read_bytes())
    if text is None:
        return [], BAD_ENCODING
    records = list(csv.reader(io.StringIO(text, newline="")))
    rows: list[tuple[int, list[CellValue]]] = [
        (number, list(values))
        for number, values in enumerate(records, start=1)
        if not all(is_blank(value) for value in values)
    ]
    if not rows:
        return [], None
    (_, header), data = rows[0], rows[1:]
    names = {column_name(value) for value in header}
    if STUDENT_KEY in names and STAFF_KEY in names:
        return [], BOTH_KINDS
    if STUDENT_KEY not in names and STAFF_KEY not in names:
        return [], UNKNOWN_KIND
    kind = PersonKind.STUDENT if STUDENT_KEY in names else PersonKind.STAFF
    ticker.advance(len(data))
    return [Sheet(source=source, label=path.name, kind=kind, header=header, rows=data)], None


def _decode(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 as a Chinese Excel writes."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
