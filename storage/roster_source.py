"""Reading roster files: .xlsx sheets 学生/教职工, or one .csv per kind told apart by its header."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from storage.models import PersonKind
from storage.roster_sheet import Issue, Sheet, Source, Ticker
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


def read_sources(
    paths: list[Path], ticker: Ticker
) -> tuple[list[Sheet], list[Issue], list[Source]]:
    """Every roster sheet in the files, labelled for messages, file-level issues, and what each
    readable file held (which sheets were read, which passed over)."""
    sheets: list[Sheet] = []
    issues: list[Issue] = []
    sources: list[Source] = []
    for index, path in enumerate(paths):
        found, names, problem = _read_source(index, path, ticker, many=len(paths) > 1)
        if problem:
            issues.append(Issue(index, 0, 0, 0, f"{path.name}: {problem}"))
            continue
        sources.append(_source(path, found, names, many=len(paths) > 1))
        sheets.extend(sheet for sheet in found if sheet.header)
    for sheet in sheets:
        sheet.prefix = f"{sheet.label} " if len(sheets) > 1 else ""
    return sheets, issues, sources


def _read_source(
    source: int, path: Path, ticker: Ticker, *, many: bool
) -> tuple[list[Sheet], tuple[str, ...], str | None]:
    """The file's roster sheets (blank ones too) and the names of all its sheets, or a problem."""
    if not path.is_file():
        return [], (), NO_FILE
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(source, path, ticker, many=many)
    if suffix == ".csv":
        sheets, problem = _read_csv(source, path, ticker)
        return sheets, (path.name,), problem
    return [], (), BAD_TYPE


def _source(path: Path, sheets: list[Sheet], names: tuple[str, ...], *, many: bool) -> Source:
    if path.suffix.lower() == ".csv":
        rows = sum(len(sheet.rows) for sheet in sheets)
        return Source(path.name, ((path.name, rows),), workbook=False, many=many)
    read = {sheet.title: len(sheet.rows) for sheet in sheets}
    counts = tuple((name.strip(), read.get(name)) for name in names)
    return Source(path.name, counts, workbook=True, many=many)


def _read_workbook(
    source: int, path: Path, ticker: Ticker, *, many: bool
) -> tuple[list[Sheet], tuple[str, ...], str | None]:
    try:
        with XlsxBook(path) as book:
            names = {name.strip(): name for name in book.sheet_names}
            titles = [(title, kind) for title, kind in SHEET_KINDS.items() if title in names]
            sheets = [
                _workbook_sheet(book, names[title], kind, source, ticker) for title, kind in titles
            ]
            every = tuple(book.sheet_names)
    except XlsxError:
        return [], (), BAD_XLSX
    for position, sheet in enumerate(sheets):
        sheet.position = position
        sheet.label = f"{path.name} {sheet.label}" if many else sheet.label
    return sheets, every, None


def _workbook_sheet(
    book: XlsxBook, name: str, kind: PersonKind, source: int, ticker: Ticker
) -> Sheet:
    sheet = Sheet(source=source, label=name.strip(), kind=kind, header=[], rows=[], title=name)
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
