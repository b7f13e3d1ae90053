"""How a long-running process sets up Python's cyclic garbage collector once it has started.

Everything imported and built by then (modules, the app, compiled queries, templates) lives as
long as the process: `gc.freeze` moves it out of the collector's view, so full collections no
longer walk it (they paused requests for ~100 ms under load).

The thresholds: CPython's default (700, 10, 10) starts a young collection after every 700 net
allocations of container objects. One form message allocates several thousand (result rows,
models, tasks, futures), and under 32 concurrent requests the objects of the requests still in
flight survive those collections and are promoted, to be walked again by the older ones: in
bench/webhook.py's form scenario the collector took 5.5 % of the web process's CPU (1,778
young, 161 middle and 15 full collections in a run); with `THRESHOLDS`, 1.1 % (38, 0, 1).
Reference counting still frees nearly everything at once; only garbage in reference cycles
waits longer for its collection, which bounds what it can hold to a few megabytes.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 50, 50)


def settle() -> None:
    """Collect what start-up left, freeze the rest, and collect less often from now on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
