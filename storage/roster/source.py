"""Reading roster files: workbook sheets 学生/教职工, or one CSV per kind told by its header."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import cast

from storage.models import PersonKind
from storage.roster.book import WORKBOOK_SUFFIXES, Book, BookError, Grid
from storage.roster.layout import Layout, find_header, lay_out
from storage.roster.names import column_name
from storage.roster.sheet import CellValue, Issue, Sheet, Source, Ticker
from storage.roster.wording import FILE, NOTE, Wording

STUDENT_SHEET = "学生"
STAFF_SHEET = "教职工"
STUDENT_KEY = "学号"
STAFF_KEY = "工号"
SHEET_KINDS = {STUDENT_SHEET: PersonKind.STUDENT, STAFF_SHEET: PersonKind.STAFF}
_KEYS = {PersonKind.STUDENT: STUDENT_KEY, PersonKind.STAFF: STAFF_KEY}
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
"""CSV, and the tab-separated text Excel saves as 「Unicode 文本」 (.txt)."""
_DELIMITERS = ",\t;"
_SNIFF_LINES = 50
_PROBE = 4096

NO_FILE = Wording(FILE, "no_file")
BAD_TYPE = Wording(FILE, "bad_type")
BAD_WORKBOOK = Wording(FILE, "bad_workbook")
BAD_ENCODING = Wording(FILE, "bad_encoding")
BAD_CSV = Wording(FILE, "bad_csv")
UNKNOWN_KIND = Wording(FILE, "unknown_kind")
BOTH_KINDS = Wording(FILE, "both_kinds")
HIDDEN_SHEET = Wording(NOTE, "hidden_sheet")


@dataclass
class _File:
    """One file as read: its roster sheets (blank ones too), all its sheets' names, notes."""

    sheets: list[tuple[Sheet, Layout]] = field(default_factory=list)
    names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def read_sources(
    paths: list[Path], ticker: Ticker
) -> tuple[list[Sheet], list[Issue], list[Source]]:
    """Every roster sheet in the files, labelled for messages, file-level issues, and what each
    readable file held (which sheets were read, which passed over)."""
    many = len(paths) > 1
    sheets: list[tuple[Sheet, Layout]] = []
    issues: list[Issue] = []
    sources: list[Source] = []
    for index, path in enumerate(paths):
        found = _read_source(index, path, ticker, many=many)
        if isinstance(found, Wording):
            reason = found.format(student_key=STUDENT_KEY, staff_key=STAFF_KEY)
            issues.append(Issue(index, 0, 0, 0, f"{path.name}: {reason}"))
            continue
        sources.append(_source(path, found, many=many))
        sheets.extend((sheet, layout) for sheet, layout in found.sheets if sheet.header)
    for sheet, layout in sheets:
        sheet.prefix = f"{sheet.label} " if len(sheets) > 1 else ""
        sheet.notes.extend(layout.notes(sheet.prefix))
        issues.extend(layout.issues(sheet))
    return [sheet for sheet, _ in sheets], issues, sources


def _read_source(source: int, path: Path, ticker: Ticker, *, many: bool) -> _File | Wording:
    """The file's roster sheets and the names of all its sheets, or a problem."""
    if not path.is_file():
        return NO_FILE
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(source, path, ticker, many=many)
    if suffix in TEXT_SUFFIXES:
        return _read_csv(source, path, ticker)
    return BAD_TYPE


def _source(path: Path, found: _File, *, many: bool) -> Source:
    sheets = [sheet for sheet, _ in found.sheets]
    if path.suffix.lower() in TEXT_SUFFIXES:
        rows = sum(len(sheet.rows) for sheet in sheets)
        return Source(path.name, ((path.name, rows),), workbook=False, many=many)
    read = {sheet.title: len(sheet.rows) for sheet in sheets}
    counts = tuple((name.strip(), read.get(name)) for name in found.names)
    return Source(path.name, counts, workbook=True, many=many, notes=found.notes)


def _read_workbook(source: int, path: Path, ticker: Ticker, *, many: bool) -> _File | Wording:
    """The visible sheets named 学生 and 教职工; a hidden one is skipped with a note."""
    try:
        with Book(path) as book:
            roster = {sheet.name.strip(): sheet for sheet in book.sheets}
            titles = [title for title in SHEET_KINDS if title in roster]
            hidden = [title for title in titles if not roster[title].visible]
            shown = [roster[title].name for title in titles if title not in hidden]
            grids = book.grids(shown)
            names = [sheet.name for sheet in book.sheets if sheet.name.strip() not in hidden]
    except BookError:
        return BAD_WORKBOOK
    found = _File(names=tuple(names))
    for position, name in enumerate(shown):
        sheet, layout = _workbook_sheet(grids[name], name, source, ticker)
        sheet.position = position
        sheet.label = f"{path.name} {sheet.label}" if many else sheet.label
        found.sheets.append((sheet, layout))
    prefix = f"{path.name} " if many else ""
    found.notes = tuple(prefix + HIDDEN_SHEET.format(sheet=title) for title in hidden)
    return found


def _workbook_sheet(grid: Grid, name: str, source: int, ticker: Ticker) -> tuple[Sheet, Layout]:
    kind = SHEET_KINDS[name.strip()]
    sheet = Sheet(source=source, label=name.strip(), kind=kind, header=[], rows=[], title=name)
    header = find_header(grid.cells, (_KEYS[kind],))
    if header is None:
        return sheet, Layout()
    layout = lay_out(
        sheet, grid.cells, header, ticker=ticker, hidden_rows=grid.hidden_rows, merged=grid.merged
    )
    return sheet, layout


def _read_csv(source: int, path: Path, ticker: Ticker) -> _File | Wording:
    text = _decode(path.read_bytes())
    if text is None:
        return BAD_ENCODING
    try:
        cells = _records(text)
    except csv.Error:
        return BAD_CSV
    found = _File(names=(path.name,))
    header = find_header(cells, _KEYS.values())
    if header is None:
        return found
    names = _keys_in(cells[header])
    if STUDENT_KEY in names and STAFF_KEY in names:
        return BOTH_KINDS
    if STUDENT_KEY not in names and STAFF_KEY not in names:
        return UNKNOWN_KIND
    kind = PersonKind.STUDENT if STUDENT_KEY in names else PersonKind.STAFF
    sheet = Sheet(source=source, label=path.name, kind=kind, header=[], rows=[])
    found.sheets.append((sheet, lay_out(sheet, cells, header, ticker=ticker)))
    return found


def _records(text: str) -> list[list[CellValue]]:
    """The file's records, split on commas, tabs or semicolons: whichever puts a key column
    in a cell of its own near the top."""
    head = "".join(islice(io.StringIO(text, newline=""), _SNIFF_LINES))
    chosen = _DELIMITERS[0]
    for delimiter in _DELIMITERS:
        sample = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
        header = find_header(cast(list[list[CellValue]], sample), _KEYS.values())
        if header is not None and _keys_in(sample[header]):
            chosen = delimiter
            break
    records = csv.reader(io.StringIO(text, newline=""), delimiter=chosen)
    return cast(list[list[CellValue]], list(records))


def _keys_in(values: list[str] | list[CellValue]) -> set[str]:
    """The key columns (学号, 工号) among a row's cells."""
    keys = _KEYS.values()
    names = (column_name(value, keys) for value in values)
    return {name for name in names if name is not None and name in keys}


def _decode(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM); UTF-16, as Excel saves 「Unicode 文本」, with a BOM or told by
    its zero bytes, which UTF-8 and GB18030 text never holds; else GB18030 as a Chinese Excel
    writes."""
    probe = raw[:_PROBE]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in probe:
        little = probe[1::2].count(0) >= probe[::2].count(0)
        encodings = ("utf-16-le", "utf-16-be") if little else ("utf-16-be", "utf-16-le")
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
