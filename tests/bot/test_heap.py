"""The web process's collector set-up (bot/heap.py): start-up's objects frozen, rarer young
collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot import heap


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored")
def test_settle_freezes_what_lives_and_raises_the_thresholds() -> None:
    kept = [object() for _ in range(10)]  # noqa: F841 - alive across the freeze
    before = gc.get_freeze_count()

    heap.settle()

    assert gc.get_freeze_count() > before
    assert gc.get_threshold() == heap.THRESHOLDS
    assert heap.THRESHOLDS[0] > 700  # rarer than CPython's default young collections


@pytest.mark.usefixtures("restored")
def test_a_young_collection_waits_for_the_raised_threshold() -> None:
    heap.settle()
    gc.collect()
    young = gc.get_stats()[0]["collections"]

    kept = [[] for _ in range(heap.THRESHOLDS[0] // 2)]

    assert gc.get_stats()[0]["collections"] == young
    assert len(kept) == heap.THRESHOLDS[0] // 2
