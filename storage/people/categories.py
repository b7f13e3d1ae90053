"""Categories come from data/categories.toml and are synced into the category table."""

from __future__ import annotations

import tomllib
from importlib import resources

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Category


def load_categories() -> list[Category]:
    text = resources.files("storage").joinpath("data/categories.toml").read_text("utf-8")
    rows = tomllib.loads(text)["category"]
    return [
        Category(
            code=row["code"],
            name=row["name"],
            scheme=row["scheme"],
            sensitive=row.get("sensitive", True),
            ledger_column=row.get("ledger_column"),
            sort_order=index,
        )
        for index, row in enumerate(rows)
    ]


async def sync_categories(session: AsyncSession) -> None:
    """Insert or update every category from the data file (idempotent)."""
    existing = {c.code: c for c in (await session.exec(select(Category))).all()}
    for category in load_categories():
        current = existing.get(category.code)
        if current is None:
            session.add(category)
            continue
        for field in ("name", "scheme", "sensitive", "ledger_column", "sort_order"):
            setattr(current, field, getattr(category, field))
    await session.flush()
