"""What python-calamine does not tell about an .xlsx sheet: its hidden rows, and the cells that
hold a formula's error (#N/A, #REF!…), which calamine reads as blank.

Both are found by a byte search of the sheet's XML for the few attributes that mark them
(`<row r="5" hidden="1">`, `<c r="C3" t="e"><v>#N/A</v></c>`): a fraction of the time a parse
of the whole sheet would take, and nothing at all is parsed when no row is hidden and no
formula failed.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import unescape

_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# A literal start makes the search fast; writers put one space between attributes.
_ERROR = re.compile(rb""" t=["']e["']""")
_HIDDEN = re.compile(rb""" hidden=["'](?:1|true)["']""")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\s")
_REF = re.compile(rb"""\sr=["']([A-Z]{1,3})(\d+)["']""")
_ROW_NUMBER = re.compile(rb"""\sr=["'](\d+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<|</(?:\w+:)?c>")


class ScanError(Exception):
    """The workbook's parts cannot be found where an .xlsx keeps them."""


@dataclass(frozen=True)
class SheetMarks:
    hidden_rows: frozenset[int]
    """Row numbers as Excel shows them."""
    errors: dict[tuple[int, int], str]
    """(row index, column index), both from 0 → the error's text, e.g. "#N/A"."""


def scan_sheets(path: Path, names: Collection[str]) -> dict[str, SheetMarks]:
    """Hidden rows and error cells of the named worksheets."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _sheet_parts(archive)
            return {name: _scan(archive.read(part)) for name, part in parts if name in names}
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, ValueError) as exc:
        raise ScanError(str(exc)) from exc


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) in workbook order, following the package's relationships."""
    [workbook] = _targets(archive, "_rels/.rels", "/officeDocument").values()
    folder, name = posixpath.split(workbook)
    parts = _targets(archive, posixpath.join(folder, "_rels", name + ".rels"), "/worksheet")
    sheets = []
    for element in ET.fromstring(archive.read(workbook)).iter():
        if element.tag.rpartition("}")[2] == "sheet":
            ids = [value for key, value in element.attrib.items() if key.endswith("}id")]
            if ids and ids[0] in parts:
                sheets.append((element.get("name", ""), parts[ids[0]]))
    return sheets


def _targets(archive: zipfile.ZipFile, rels: str, kind: str) -> dict[str, str]:
    """Relationship id → part path, for the relationships of one kind in a .rels part."""
    folder = posixpath.dirname(posixpath.dirname(rels))
    found = {}
    for rel in ET.fromstring(archive.read(rels)).iter(_RELATIONSHIP):
        if rel.get("Type", "").endswith(kind):
            target = rel.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[rel.get("Id", "")] = posixpath.normpath(path)
    return found


def _scan(xml: bytes) -> SheetMarks:
    return SheetMarks(_hidden_rows(xml), _errors(xml))


def _hidden_rows(xml: bytes) -> frozenset[int]:
    rows = set()
    for tag, _ in _start_tags(xml, _HIDDEN, _ROW_TAG):
        if number := _ROW_NUMBER.search(tag):
            rows.add(int(number.group(1)))
    return frozenset(rows)


def _errors(xml: bytes) -> dict[tuple[int, int], str]:
    errors = {}
    for tag, end in _start_tags(xml, _ERROR, _CELL_TAG):
        ref = _REF.search(tag)
        value = None if tag.endswith(b"/>") else _VALUE.search(xml, end)
        if ref and value and value.group(1):
            at = (int(ref.group(2)) - 1, _column_index(ref.group(1)))
            errors[at] = unescape(value.group(1).decode())
    return errors


def _start_tags(
    xml: bytes, attribute: re.Pattern[bytes], element: re.Pattern[bytes]
) -> Iterator[tuple[bytes, int]]:
    """Start tags of `element` that carry `attribute`, each with the offset just after it."""
    for match in attribute.finditer(xml):
        start = xml.rfind(b"<", 0, match.start())
        end = xml.find(b">", match.end()) + 1
        if start >= 0 and end and element.match(xml, start):
            yield xml[start:end], end


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - ord("A") + 1
    return index - 1
