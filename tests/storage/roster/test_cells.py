"""How one cell is read: Excel's unambiguous mangling is undone, the rest is refused with a fix."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from storage.roster.changes import masked
from storage.roster.fields import (
    BAD_LANDLINE,
    BAD_MOBILE,
    EXCEL_DATE,
    FORMULA_ERROR,
    ROUNDED,
    SCIENTIFIC,
    TOO_LONG,
    Invalid,
    Mask,
    birth_date,
    code,
    is_clear,
    not_future,
    phone,
    text,
)
from storage.roster.sheet import row_ranges

NORMALISED_CODES = {
    "plain": ("2025001", "2025001"),
    'excel\'s ="…" wrapper': ('="2025001"', "2025001"),
    "leading apostrophe": ("'2025001", "2025001"),
    "full-width digits": ("２０２５００１", "2025001"),
    "full-width letters": ("Ｔ０００１", "T0001"),
    "zero-width space": ("2025\u200b001", "2025001"),
    "byte order mark": ("\ufeff2025001", "2025001"),
    "no-break and ideographic spaces around": ("\u00a02025001\u3000", "2025001"),
    "pandas float": ("2025001.0", "2025001"),
    "number cell": (2025001.0, "2025001"),
    "int cell": (2025001, "2025001"),
}


@pytest.mark.parametrize("raw, expected", NORMALISED_CODES.values(), ids=NORMALISED_CODES.keys())
def test_unambiguous_mangling_of_a_code_is_undone(raw: object, expected: str) -> None:
    assert code(raw) == expected  # type: ignore[arg-type]


REFUSED_CODES = {
    "scientific notation": ("2.02504E+09", SCIENTIFIC.format(value="2.02504E+09")),
    "lower-case scientific": ("2.02504e9", SCIENTIFIC.format(value="2.02504e9")),
    "formula error text": ("#N/A", FORMULA_ERROR.format(value="#N/A")),
    "formula error in any case": ("#ref!", FORMULA_ERROR.format(value="#REF!")),
    "rounded 18-digit number": (4.30000200001011e17, ROUNDED.format(value=430000200001011008)),
    "date cell": (datetime(2026, 3, 12), EXCEL_DATE.format(value="2026-03-12")),
    "too long": ("1" * 33, TOO_LONG.format(limit=32)),
}


@pytest.mark.parametrize("raw, reason", REFUSED_CODES.values(), ids=REFUSED_CODES.keys())
def test_ambiguous_mangling_of_a_code_is_refused_with_a_fix(raw: object, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        code(raw)  # type: ignore[arg-type]
    assert caught.value.reasons == (reason,)


DORMS = {
    "dash text stays": ("3-12", "3-12"),
    "pandas float": ("2501.0", "2501"),
    "number cell": (2501.0, "2501"),
    "chinese with full-width digits": ("东区３栋２０１", "东区3栋201"),
}


@pytest.mark.parametrize("raw, expected", DORMS.values(), ids=DORMS.keys())
def test_dorm_text_is_cleaned(raw: object, expected: str) -> None:
    assert text(64, dates=True)(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw, shown",
    [
        (datetime(2026, 3, 12), "2026-03-12"),
        (date(2026, 3, 12), "2026-03-12"),
        ("2026/3/12", "2026/3/12"),
        ("2026-03-12", "2026-03-12"),
        ("3月12日", "3月12日"),
        ("12-Mar", "12-Mar"),
        ("Mar-12", "Mar-12"),
    ],
)
def test_a_dorm_excel_turned_into_a_date_is_refused(raw: object, shown: str) -> None:
    with pytest.raises(Invalid) as caught:
        text(64, dates=True)(raw)  # type: ignore[arg-type]
    assert caught.value.reasons == (EXCEL_DATE.format(value=shown),)


def test_a_date_like_text_is_kept_where_the_column_is_free_text() -> None:
    assert text(64)("3月12日入学") == "3月12日入学"
    assert text(64)("2026/3/12") == "2026/3/12"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("138-0000 1111", "13800001111"),
        (13800001111.0, "13800001111"),
        ("+86 139 0000 0001", "13900000001"),
        ("8613900000001", "13900000001"),
        ("0086-13900000001", "13900000001"),
        ("（0731）8888 1234", "073188881234"),
        ("010-12345678", "01012345678"),
        ("8765432", "8765432"),
        ("１３９００００２２２２", "13900002222"),
    ],
)
def test_phones_are_normalised(raw: object, expected: str) -> None:
    assert phone(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("1380000111", BAD_MOBILE.format(value="1380000111", digits=10)),
        ("138000011112", BAD_MOBILE.format(value="138000011112", digits=12)),
        ("07318888", BAD_LANDLINE.format(value="07318888")),
        ("234567", BAD_LANDLINE.format(value="234567")),
        ("123456", BAD_MOBILE.format(value="123456", digits=6)),
        ("1.39E+10", SCIENTIFIC.format(value="1.39E+10")),
    ],
)
def test_phones_of_the_wrong_length_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        phone(raw)
    assert caught.value.reasons == (reason,)


def test_birth_dates_after_the_import_day_are_refused() -> None:
    today = date(2026, 9, 1)
    assert birth_date(datetime(2005, 3, 1)) == date(2005, 3, 1)
    assert birth_date(date(2005, 3, 1)) == date(2005, 3, 1)
    assert not_future(date(2026, 9, 1), today) is None
    assert not_future(date(2026, 9, 2), today) == "「2026-09-02」晚于今天，请核对出生日期"


@pytest.mark.parametrize("raw", ["（清空）", "(清空)", " （清空） ", "【清空】"])
def test_the_clear_marker_is_recognised(raw: str) -> None:
    assert is_clear(raw)


@pytest.mark.parametrize("raw", [None, "", "清空", "清空了", 0])
def test_other_cells_are_not_the_clear_marker(raw: object) -> None:
    assert not is_clear(raw)  # type: ignore[arg-type]


def test_change_listings_mask_phones_and_names() -> None:
    assert masked("13900000001", Mask.PHONE) == "139****0001"
    assert masked("8765432", Mask.PHONE) == "****"
    assert masked("张建国", Mask.NAME) == "张**"
    assert masked("张", Mask.NAME) == "张*"
    assert masked("计算机学院", Mask.NONE) == "计算机学院"
    assert masked("孤儿", Mask.HIDDEN) is None
    assert masked(None, Mask.PHONE) is None


def test_row_ranges_join_runs() -> None:
    assert row_ranges([7]) == "7"
    assert row_ranges([5, 3, 4, 9, 10, 12]) == "3-5、9-10、12"
