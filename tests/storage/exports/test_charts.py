"""Charts are PNGs drawn with the CJK font; a missing font says how to install it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from storage.exports import charts


def test_a_bar_chart_is_a_png_with_chinese_glyphs() -> None:
    # A glyph missing from the font is a UserWarning, which the suite's filterwarnings=error
    # turns into a failure here.
    png = charts.bar_chart(title="分类人数", labels=["孤儿", "残疾"], values=[5, None])

    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG" and picture.size[0] > 600
    assert charts.font().get_name().startswith("Noto Sans CJK")


def test_a_trend_chart_draws_every_series() -> None:
    png = charts.trend_chart(title="效果", months=["2026-10", "2026-11"],
                             series={"明显好转": [1, 2], "有所恶化": [0, 1]})  # fmt: skip
    assert png.startswith(b"\x89PNG")


def test_a_missing_font_is_named_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(charts.FontMissing, match="fonts-noto-cjk"):
        charts.font(tmp_path / "none.ttc")
