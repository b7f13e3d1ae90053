"""Who exported a file and when, as every exported file carries it ("导出：… · 仅限工作使用")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from messages.render import render


@dataclass(frozen=True, slots=True)
class Watermark:
    text: str
    """The line itself, for the sheet or the document body."""
    page: str
    """页码 in the header/footer codes of Excel (&P, &N)."""

    @property
    def header(self) -> str:
        """`text` for an Excel header or footer, where a lone & starts a code."""
        return self.text.replace("&", "&&")


def watermark(*, name: str, code: str, at: datetime) -> Watermark:
    """`at` in the school's time zone."""
    text = render("export_watermark", name=name, code=code, at=at.strftime("%Y-%m-%d %H:%M"))
    return Watermark(text=text.strip(), page=render("export_page_codes").strip())
