"""Charts as PNG bytes (matplotlib, Agg, no pyplot: safe off the main thread), drawn with
Debian's Noto Sans CJK so that Chinese labels are glyphs, not boxes. The caller gives every
text; a value of None is a suppressed small group, drawn as no bar with the mark "<3"."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from storage.reports.stats_model import SUPPRESSED

FONT_PATH = Path(
    os.environ.get("CAREBOT_CJK_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
)
COLOURS = ("#3b7dd8", "#4caf50", "#f2a93b", "#9e9e9e", "#e05a47", "#7e57c2", "#26a69a")
DPI = 150


class FontMissing(RuntimeError):
    """The Chinese font the charts need is not installed."""


@cache
def font(path: Path = FONT_PATH) -> FontProperties:
    if not path.is_file():
        raise FontMissing(
            f"chart font not found at {path}: install Debian's fonts-noto-cjk "
            "(make fonts, or apt-get install fonts-noto-cjk), or set CAREBOT_CJK_FONT"
        )
    return FontProperties(fname=str(path))


def bar_chart(
    *, title: str, labels: Sequence[str], values: Sequence[float | None], unit: str = ""
) -> bytes:
    """One bar per label, its value written on top (or "<3" where it is suppressed)."""
    face = font()
    figure = Figure(figsize=(7.5, 4.2), dpi=DPI)
    axes = figure.add_subplot()
    drawn = [value or 0 for value in values]
    bars = axes.bar(range(len(labels)), drawn, color=COLOURS[0], width=0.6)
    for bar, value in zip(bars, values, strict=True):
        mark = SUPPRESSED if value is None else f"{value:g}{unit}"
        axes.annotate(
            mark,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontproperties=face,
            fontsize=9,
        )
    axes.set_xticks(range(len(labels)), list(labels), fontproperties=face, fontsize=9)
    if len(labels) > 5:
        for tick in axes.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")
    axes.set_ylim(0, max([*drawn, 1]) * 1.18)
    _finish(figure, axes, title)
    return _png(figure)


def trend_chart(*, title: str, months: Sequence[str], series: Mapping[str, Sequence[int]]) -> bytes:
    """One line per series over the months, with a legend."""
    face = font()
    figure = Figure(figsize=(7.5, 4.2), dpi=DPI)
    axes = figure.add_subplot()
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        axes.plot(range(len(months)), list(values), marker="o", label=name, color=colour)
    axes.set_xticks(range(len(months)), list(months), fontproperties=face, fontsize=9)
    if series:
        small = face.copy()
        small.set_size(8)
        axes.legend(prop=small, loc="upper left", frameon=False)
    _finish(figure, axes, title)
    return _png(figure)


def _finish(figure: Figure, axes: object, title: str) -> None:
    face = font()
    figure.suptitle(title, fontproperties=face, fontsize=12)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)  # type: ignore[attr-defined]
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # type: ignore[attr-defined]
    figure.tight_layout()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
