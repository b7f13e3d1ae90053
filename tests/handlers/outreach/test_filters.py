"""The one-line filter syntax."""

from __future__ import annotations

from handlers.outreach.filters import FilterError, parse_filters
from storage.outreach.audience import Filters


def test_the_issue_example_parses() -> None:
    parsed = parse_filters("学院=机械工程学院 年级=2023 类别=低保家庭,脱贫家庭")
    assert parsed == Filters(
        colleges=("机械工程学院",), grades=(2023,), categories=("低保家庭", "脱贫家庭")
    )


def test_every_name_and_the_chinese_separators() -> None:
    parsed = parse_filters(
        "专业=车辆工程、机械设计 班级=机械2301 毕业班=2027 重点关注=是 角色=全部"
        " 学号=2023001，2023002"
    )
    assert parsed == Filters(
        majors=("车辆工程", "机械设计"),
        classes=("机械2301",),
        graduating_years=(2027,),
        key_attention=True,
        role="all",
        student_numbers=("2023001", "2023002"),
    )


def test_a_pasted_list_of_student_numbers() -> None:
    assert parse_filters("2023000001\n2023000002 2023000003") == Filters(
        student_numbers=("2023000001", "2023000002", "2023000003")
    )
    assert parse_filters("") == Filters()


def test_unknown_names_and_values_list_the_valid_ones() -> None:
    unknown = parse_filters("院系=机械")
    assert isinstance(unknown, FilterError) and unknown.problem == "unknown_name"
    assert "学院" in unknown.valid and "类别" in unknown.valid

    category = parse_filters("类别=特困")
    assert isinstance(category, FilterError) and category.problem == "bad_value"
    assert category.value == "特困" and "低保家庭" in category.valid

    role = parse_filters("角色=家长")
    assert isinstance(role, FilterError) and role.valid == ("学生", "导师", "全部")

    grade = parse_filters("年级=二三")
    assert isinstance(grade, FilterError) and grade.name == "年级"

    assert isinstance(parse_filters("学院=甲 学院=乙"), FilterError)
    assert isinstance(parse_filters("学院="), FilterError)
