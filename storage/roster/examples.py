"""The template's example rows, and how to recognise them when a clerk leaves them in.

A file that still holds them would make 李明 a 学业导师 and 王芳 a 学院管理员 bound to a
guessable account, so an import refuses any row whose code and name are an example's.
"""

from __future__ import annotations

from datetime import date

from storage.models import PersonKind
from storage.people.categories import load_categories
from storage.roster.wording import CHECK, Wording

EXAMPLE_ROW = Wording(CHECK, "example_row")


def staff_rows() -> list[dict[str, object]]:
    return [
        {"工号": "T0001", "姓名": "李明", "角色": "学业导师", "学院": "计算机学院",
         "联系电话": "13800000001", "企业微信账号": "LiMing"},
        {"工号": "T0002", "姓名": "王芳", "角色": "辅导员、学院管理员", "学院": "计算机学院",
         "联系电话": "138-0000-0002", "企业微信账号": "WangFang", "钉钉账号": "wangfang01"},
        {"工号": "T0003", "姓名": "赵强", "角色": "班主任", "学院": "计算机学院"},
    ]  # fmt: skip


def student_rows() -> list[dict[str, object]]:
    names = [category.name for category in load_categories()]
    team = {"学业导师": "T0001", "学工教师": "T0002", "朋辈导师": "2023000003"}
    return [
        {"学号": "2023000001", "姓名": "张三", "性别": "男", "学院": "计算机学院",
         "专业": "软件工程", "班级": "软件2301", "年级": "2023", "寝室": "东区3栋201",
         "联系电话": "13900000001", "家长姓名": "张建国", "家长电话": "13700000001",
         "籍贯": "湖南长沙", "出生日期": date(2005, 3, 1), "类别": "、".join(names[:2]),
         "重点关注": "是", **team, "企业微信账号": "ZhangSan", "预计毕业年份": 2027},
        {"学号": "2023000002", "姓名": "李四", "性别": "女", "学院": "计算机学院",
         "专业": "软件工程", "班级": "软件2301", "年级": "2023", "联系电话": "13900000002",
         "类别": names[-1], "重点关注": "否", **team, "学工教师": "T0003",
         "钉钉账号": "lisi2023", "预计毕业年份": 2027},
        {"学号": "2023000003", "姓名": "王五", "性别": "男", "学院": "计算机学院",
         "专业": "计算机科学与技术", "班级": "计科2301", "年级": "2023",
         "出生日期": "2004/11/20", "预计毕业年份": 2027},
    ]  # fmt: skip


def example_people() -> dict[tuple[PersonKind, str], str]:
    """(kind, code) → name of every example row."""
    people = {(PersonKind.STAFF, str(row["工号"])): str(row["姓名"]) for row in staff_rows()}
    people.update(
        {(PersonKind.STUDENT, str(row["学号"])): str(row["姓名"]) for row in student_rows()}
    )
    return people
