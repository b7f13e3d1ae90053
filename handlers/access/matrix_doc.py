"""docs/access.md, rendered from the access matrix: `python -m handlers.access.matrix_doc`."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.access.matrix import MATRIX, ROLES, SEAT_HOLDERS
from messages.render import render


def access_table() -> str:
    """The matrix as a markdown document (labels from the access_table template)."""
    rows = [
        {"action": str(action), "scopes": [int(row[role]) for role in ROLES]}
        for action, row in MATRIX.items()
    ]
    seats = [
        render("access_seat_holders", seat=render(f"seat_{seat}"), roles=_labels(holders))
        for seat, holders in SEAT_HOLDERS.items()
    ]
    return render("access_table", roles=_labels(ROLES), rows=rows, seats=seats)


def _labels(roles: Iterable[str]) -> list[str]:
    """Role names in the matrix's column order."""
    wanted = set(roles)
    return [render(f"role_{role}") for role in ROLES if role in wanted]


if __name__ == "__main__":
    print(access_table())
