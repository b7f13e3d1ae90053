"""The platform API client's hot path imports nothing: httpcore asks for sniffio on every lock
it sets up (each request makes several), and a module that is not installed is searched for
on disk every time (encode/httpcore#1103). pyproject.toml lists sniffio for that reason."""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

from httpcore import _synchronization


class _Recorder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.asked: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        self.asked.append(fullname)
        return None


async def test_setting_up_httpcore_locks_searches_for_no_module() -> None:
    _synchronization.current_async_library()  # whatever a first call may load
    recorder = _Recorder()
    sys.meta_path.insert(0, recorder)
    try:
        for _ in range(5):
            assert _synchronization.current_async_library() == "asyncio"
            lock = _synchronization.AsyncLock()
            async with lock:
                pass
    finally:
        sys.meta_path.remove(recorder)
    assert recorder.asked == []
