"""Header spellings: a header cell as people write it, mapped to the template's column name."""

from __future__ import annotations

import re
from collections.abc import Collection

from storage.roster.sheet import CellValue

ALIASES = {
    "手机": "联系电话",
    "手机号": "联系电话",
    "手机号码": "联系电话",
    "企业微信": "企业微信账号",
    "企业微信号": "企业微信账号",
    "钉钉": "钉钉账号",
    "钉钉号": "钉钉账号",
}
"""Other names people give a column; the table is small on purpose (the template says it)."""
EXTRAS = ("序号", "备注", "说明")
"""Columns offices add that mean nothing to the roster: ignored, with a note."""

_MARKS = "*＊"  # the template's required mark, after or before the name
_SPACE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")  # spaces, line breaks, invisible marks
_SUFFIX = re.compile(r"[（(【\[][^（(【\[]*[）)】\]]$")  # （是/否） (必填) 【工号】 at the end


def column_name(value: CellValue, known: Collection[str] = ()) -> str | None:
    """A header cell as a column name, without spaces, line breaks or the * mark; an alias, or
    a name followed by a bracketed note (「重点关注（是/否）」), gives the known column it names."""
    if value is None:
        return None
    written = _SPACE.sub("", str(value)).strip(_MARKS)
    name = written
    while name:
        if name in known:
            return name
        if ALIASES.get(name) in known:
            return ALIASES[name]
        shorter = _SUFFIX.sub("", name).strip(_MARKS)
        if shorter == name:
            break
        name = shorter
    return written or None
