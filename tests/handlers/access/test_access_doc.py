"""docs/access.md is the access matrix's rendering, and the matrix is what the rules read."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.access import matrix
from handlers.access import rules as access
from handlers.access.matrix import Action, Scope
from handlers.access.matrix_doc import access_table
from storage.models import Role, TeamRole

DOC = Path(__file__).parents[3] / "docs" / "access.md"


def test_docs_access_md_is_the_rendered_matrix() -> None:
    assert DOC.read_text("utf-8") == access_table() + "\n", (
        "docs/access.md is out of date: python -m handlers.access.matrix_doc > docs/access.md"
    )


def test_every_action_has_a_row_for_every_role() -> None:
    assert list(matrix.MATRIX) == list(Action)
    assert all(list(row) == list(matrix.ROLES) for row in matrix.MATRIX.values())


def test_the_widest_role_wins() -> None:
    roles = frozenset({Role.COUNSELLOR, Role.COLLEGE_ADMIN})
    assert matrix.allowed(roles, Action.BROADCAST) is Scope.OWN_COLLEGE
    assert matrix.allowed(frozenset({Role.DORM_HEAD}), Action.BROADCAST) is Scope.NONE


@pytest.mark.parametrize("action", [Action.EXPORT_CASE_FILE, Action.STATISTICS])
def test_one_rule_serves_the_ledger_the_case_file_export_and_statistics(action: Action) -> None:
    # handlers/reports' 档案表 asks `may_export` with the ledger's row: they must stay one.
    assert matrix.MATRIX[action] == matrix.MATRIX[Action.EXPORT_LEDGER]


def test_a_change_in_the_table_changes_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    row = dict(matrix.MATRIX[Action.EDIT_CASE_FILE], academic_mentor=Scope.OWN_STUDENTS)
    monkeypatch.setitem(matrix.MATRIX, Action.EDIT_CASE_FILE, row)  # type: ignore[arg-type]
    assert access.may_edit_case_file(frozenset({TeamRole.ACADEMIC_MENTOR}))
