"""Pausing Python's cyclic garbage collector while a big digest is built or rendered.

A department of thousands gives a digest of a million small objects, all alive until it is sent.
Every full collection walks each of them, and building them triggers one whenever the survivors
have grown by a quarter: at 10,000 members, four seconds of ten went to collections that freed
nothing. While paused, reference counting frees memory as usual; only reference cycles wait for
the next collection after the pause. Pauses nest and may overlap across threads: collection
resumes when the last one ends, and only if it was on before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many pauses are under way, and whether collection was on before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False


_pauses = _Pauses()


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside the block (usable as a decorator too)."""
    with _pauses.lock:
        if _pauses.depth == 0:
            _pauses.was_enabled = gc.isenabled()
            gc.disable()
        _pauses.depth += 1
    try:
        yield
    finally:
        with _pauses.lock:
            _pauses.depth -= 1
            if _pauses.depth == 0 and _pauses.was_enabled:
                gc.enable()
