"""The wecom channel (being built)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from bot.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the callback routes for this channel."""


def build_sender(settings: Settings, **deps: Any) -> Any:
    """The active-send side of this channel."""
    raise NotImplementedError
