"""How a messenger account is matched: the one normalisation every reader and writer uses."""

from __future__ import annotations


def account_key(account: str) -> str:
    """The stored lookup key of a WeCom userid or DingTalk staff id: platforms treat ids
    case-insensitively (WeCom returns `ZhangSan` for `zhangsan`), and edges are never data."""
    return account.strip().lower()
