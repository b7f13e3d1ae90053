"""Benchmark reading and importing a university-sized roster workbook.

The workbook is tests/fakes/roster_files.big_roster (50,000 students and 300 staff by default,
written as Excel writes one: shared strings, numbers, date cells); writing it is not timed.
Timed, best of --repeat: `calamine_s` — python-calamine reading the two sheets' cells;
`scan_s` — the byte scan of the .xlsx for hidden rows and formula errors; `read_s` — all of
storage.roster.source.read_sources (calamine, scan, header and data rows found). Then once:
`import_s` — storage.roster.importer.import_roster of the file into a fresh SQLite database, and
`reimport_s` — the same file again (nothing changes). Prints one JSON object.

Usage: python bench/roster.py [--students 50000] [--staff 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_KEY = "0Xm2GRUFyeNI5iEPOAzaFYUUi8YIzLqL8_3VdMWOgtY="
SHEETS = ["学生", "教职工"]


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def reading(path: Path, repeat: int) -> dict[str, float]:
    from python_calamine import CalamineWorkbook

    from storage.roster.sheet import Ticker
    from storage.roster.source import read_sources
    from storage.roster.xlsx_scan import scan_sheets

    def calamine() -> None:
        with CalamineWorkbook.from_path(path) as book:
            for name in SHEETS:
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    return {
        "calamine_s": best(repeat, calamine),
        "scan_s": best(repeat, lambda: scan_sheets(path, SHEETS)),
        "read_s": best(repeat, lambda: read_sources([path], Ticker(None))),
    }


async def importing(path: Path, workdir: Path) -> dict[str, float]:
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401  (registers tables)
    from storage.db import make_engine, make_sessionmaker, session_scope
    from storage.people.categories import sync_categories
    from storage.roster.importer import import_roster
    from tests.fakes.roster_files import IMPORTED_AT

    engine = make_engine(f"sqlite:///{workdir / 'bench.db'}", data_key=DATA_KEY)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with session_scope(sessions) as session:
        await sync_categories(session)
    figures = {}
    for label in ("import_s", "reimport_s"):
        gc.collect()
        started = time.perf_counter()
        async with session_scope(sessions) as session:
            await import_roster(session, [path], now=IMPORTED_AT, dry_run=False)
        figures[label] = round(time.perf_counter() - started, 2)
    await engine.dispose()
    return figures


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time reading and importing a big roster.")
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--staff", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> None:
    args = parse(argv)
    sys.path.insert(0, str(ROOT))
    from tests.fakes.roster_files import big_roster

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        path = big_roster(workdir / "全校名单.xlsx", students=args.students, staff_count=args.staff)
        report: dict[str, Any] = {"students": args.students, "staff": args.staff}
        report |= reading(path, args.repeat)
        report |= asyncio.run(importing(path, workdir))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
