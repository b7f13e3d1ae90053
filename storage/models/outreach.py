"""Broadcasts: the audience, the notice, one delivery row per recipient and its receipt; topic
subscriptions."""

from __future__ import annotations
