"""The ledger workbook against the database: who is on it, every cell of a row, the layout of
seed 001 附件1 (titles, header row, merged cells, footer, print settings, watermark)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.exports.watermark import watermark
from storage.reports.ledger_cells import LedgerHead
from storage.reports.ledger_rows import LedgerScope, ledger_workbook
from tests.storage.exports.export_school import NOW, SEMESTER, build_school

TZ = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 9, 7, tzinfo=TZ), datetime(2027, 1, 18, tzinfo=TZ)
TABS = [
    "家庭经济困难",
    "学习困难",
    "心理异常",
    "网络痴迷",
    "生理缺陷",
    "行为违纪",
    "其他",
    "特殊群体",
]
HEADINGS = [
    "（1）家庭经济困难学生",
    "（2）学习困难学生",
    "三、心理异常学生",
    "四、网络痴迷学生",
    "五、生理缺陷学生",
    "六、行为违纪学生",
    "七、其他情况（思想过于偏激、行为怪异、人际交流困难、就业困难等）",
    "特殊群体学生（孤儿、残疾、低保家庭、脱贫家庭、少数民族预科生、退役士兵）",
]
BEFORE = ["序号", "姓名", "性别", "班级", "所在寝室", "本人联系方式", "家长姓名及联系方式"]
AFTER = ["帮扶措施", "帮扶人姓名及联系方式", "帮扶效果", "备注"]
MARK = "导出：周院长 A001 2026-11-23 10:00 · 仅限工作使用"


async def _workbook(session: AsyncSession, college: str | None) -> tuple[Worksheet, ...]:
    scope = LedgerScope(SEMESTER, START, END, college, TZ)
    local = NOW.astimezone(TZ)
    head = LedgerHead(2026, local.date(), watermark(name="周院长", code="A001", at=local), TZ)
    data, _ = await ledger_workbook(session, scope, head)
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == TABS
    return tuple(book[name] for name in TABS)


def _row(ws: Worksheet, at: int) -> list[object]:
    return [cell.value for cell in ws[at]]


async def test_every_sheet_has_the_seed_layout(session: AsyncSession) -> None:
    await build_school(session)
    sheets = await _workbook(session, None)

    for ws, heading in zip(sheets, HEADINGS, strict=True):
        width = ws.max_column
        assert ws["A1"].value == "2026年特殊群体学生精准关爱工程台账"
        assert ws["A2"].value == heading
        assert ws.cell(2, width - 2).value == "2026年11月23日"
        assert _row(ws, 3)[:7] == BEFORE and _row(ws, 3)[-4:] == AFTER
        merged = {str(r) for r in ws.merged_cells.ranges}
        last = get_column_letter(width)
        assert f"A1:{last}1" in merged
        footer = 3 + sum(
            1 for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)
        )
        words = [v for v in _row(ws, footer + 1) if v]
        assert words == ["注：以上表格每学期上报一次", "填表人：", "负责人："]
        assert ws.cell(footer + 2, 1).value == MARK
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.print_title_rows == "$3:$3"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.oddHeader.right.text == MARK and ws.oddFooter.left.text == MARK
        assert ws["H4"].alignment.wrap_text or ws.max_row == footer + 2
    columns = [_row(ws, 3)[7] for ws in sheets]
    assert columns[0] == "家庭经济状况和存在问题" and columns[7] == "类别"
    assert _row(sheets[4], 3)[7:9] == [
        "学生病史（重大疾病、遗传病或残疾等影响到学习生活的疾病）",
        "班主任核实情况",
    ]


async def test_a_row_says_what_the_database_holds(session: AsyncSession) -> None:
    await build_school(session)
    financial, *_, physical, _, _, groups = await _workbook(session, "计算机学院")

    # 孙七 has no case file yet: in care all the same (the roster gave the category), by name first
    assert _row(financial, 4)[:4] == [1, "孙七", "男", "计科2301"]
    assert _row(financial, 4)[7:9] == [None, None]  # nothing written, nothing logged
    assert _row(financial, 5) == [
        2,
        "张三",
        "男",
        "计科2301",
        "东区3栋201",
        "13500000001",
        "张父 13500000009",
        "父母务农，家庭年收入不足两万",
        "学业：每周辅导一次\n经济：申请国家助学金\n"
        "本学期：谈心谈话 2 次、走访寝室 1 次\n补助申请：批准 1 次",
        "学业导师：李老师 13800000002\n学工教师：王芳 13900000001\n朋辈导师：李同学",
        "最近：有所改善（11月2日）\n本学期评估 2 次，趋势向好",
        "重点关注",
    ]
    # 赵六's file was closed before the semester: not on the ledger
    assert financial["A6"].value == "注：以上表格每学期上报一次"
    assert _row(physical, 4)[1] == "李四"
    assert _row(physical, 4)[7:9] == ["先天性心脏病", "已核实病历"]
    assert _row(physical, 4)[-1] == "已撤销建档（2026年10月15日）"
    assert [_row(groups, 4)[1], _row(groups, 4)[7]] == ["张三", "孤儿"]


async def test_the_college_filter_and_the_whole_school(session: AsyncSession) -> None:
    await build_school(session)
    psych_college = (await _workbook(session, "计算机学院"))[2]
    psych_school = (await _workbook(session, None))[2]

    assert psych_college["A4"].value == "注：以上表格每学期上报一次"  # 王五 is in 文学院
    assert psych_school["B4"].value == "王五"
