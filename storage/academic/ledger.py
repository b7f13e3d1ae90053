"""The 学习困难 ledger column, filled from the grades (seed 000 §三(一).2-3)."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel.ext.asyncio.session import AsyncSession


async def academic_texts(
    session: AsyncSession, *, student_ids: Collection[int], semester: str
) -> dict[int, str]:
    """Per student, the text of 学位课平均绩点学分、补课不及格课程和留级、休学情况 for `semester`
    (a policy semester name): degree-course GPA, credits required vs earned, failed and retaken
    courses, the warning level. Students without grades that semester are absent."""
    return {}  # replaced by the academic-warning work (issue 13)
