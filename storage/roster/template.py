"""An example roster workbook: both sheets, required columns marked, rows that import cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from storage.people.categories import load_categories
from storage.roster.examples import staff_rows, student_rows
from storage.roster.fields import CLEAR, COLUMNS, ROLE_NAMES, SEPARATORS, Column
from storage.roster.source import SHEET_KINDS

_REQUIRED = Font(bold=True, color="C00000")
_OPTIONAL = Font(bold=True)
_TEXT_KEYS = {"学号", "工号", "联系电话", "家长电话", "学业导师", "学工教师", "朋辈导师"}


def _notes() -> list[str]:
    categories = "、".join(category.name for category in load_categories())
    return [
        "填写说明",
        "红色列名为必填列；其余列可留空，也可以整列删除。",
        "第 2 行起是示例，导入前请删除或改成真实数据：示例行会被拒绝导入。",
        f"更新已有人员时，留空的单元格保持数据库原值；要清除原值，请填「{CLEAR}」。",
        "学号、工号、电话请按文本填写，以免 Excel 把长数字变成科学计数法。",
        "性别：男 或 女。重点关注：是 或 否，留空为否。",
        f"类别：可填多个，用 {' 或 '.join(SEPARATORS)} 分隔。可选：{categories}。",
        f"角色：可填多个，分隔符同上。可选：{'、'.join(ROLE_NAMES)}。",
        "学业导师填有「学业导师」角色的工号；学工教师填辅导员或班主任的工号；"
        "朋辈导师填另一位学生的学号。",
        "出生日期：日期格式，或写成 2005-03-01、2005/3/1、20050301。",
        "企业微信账号、钉钉账号：每个账号只能属于一个人。",
        "按学号/工号更新：重复导入同一文件不会有变化；文件中没有的人员不会被删除。",
        "有任何一行出错时整个文件都不会导入，请按提示修改后重新导入。",
    ]


def write_template(path: Path, *, overwrite: bool = False) -> None:
    """Write the example workbook; it imports cleanly into an empty database. An existing file
    is kept (FileExistsError) unless `overwrite`; a missing folder raises FileNotFoundError."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    examples = {"学生": student_rows(), "教职工": staff_rows()}
    for title, kind in SHEET_KINDS.items():
        _fill(workbook.create_sheet(title), COLUMNS[kind], examples[title])
    notes = workbook.create_sheet("说明")
    notes.column_dimensions["A"].width = 100
    for line in _notes():
        notes.append([line])
    notes["A1"].font = _OPTIONAL
    with path.open("wb" if overwrite else "xb") as file:  # "x": no window to overwrite in
        workbook.save(file)


def _fill(sheet: Any, columns: tuple[Column, ...], rows: list[dict[str, object]]) -> None:
    sheet.append([column.name for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _REQUIRED if column.required else _OPTIONAL
        if column.required:
            cell.comment = Comment("必填", "CareBot")
        sheet.column_dimensions[cell.column_letter].width = max(10, 2 * len(column.name) + 4)
    for row in rows:
        sheet.append([row.get(column.name) for column in columns])
        for cell, column in zip(sheet[sheet.max_row], columns, strict=True):
            if column.name in _TEXT_KEYS:
                cell.number_format = "@"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
