"""Chunked work over the machine's cores, results in input order.

The text analyzers are CPU-bound Python (spaCy tokenizing, regexes, exact arithmetic), so
threads do not help; worker processes are forked (Linux) so they inherit the loaded detector
and spaCy pipeline instead of unpickling them per task. Small inputs run inline: forking costs
more than it saves below a few chunks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: What the forked workers run: set by ``map_chunks`` in the parent just before the fork.
_STATE: dict[str, Any] = {}


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _run_chunk(chunk: Sequence[Any]) -> list[Any]:
    return list(_STATE["fn"](chunk))


def map_chunks(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int | None,
               chunk: int, on_done: Callable[[int], None] | None = None) -> list[R]:
    """``fn`` over consecutive chunks of ``items`` on ``workers`` processes (None: all cores),
    concatenated in order; ``on_done(n)`` after each chunk (a progress bar). The first chunk
    runs here before the fork, so whatever ``fn`` loads lazily (spaCy, a classifier) is loaded
    once and inherited by the workers."""
    n_workers = default_workers() if workers is None else max(1, workers)
    if workers is None and "torch" in sys.modules:
        # a process that has run torch holds OpenMP thread pools that do not survive a fork;
        # there (``thinkscope run`` with models loaded) the default is to stay in-process
        n_workers = 1
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    out: list[R] = []
    if n_workers == 1 or len(chunks) < 2 or "fork" not in _start_methods():
        for c in chunks:
            out.extend(fn(c))
            if on_done is not None:
                on_done(len(c))
        return out
    out.extend(fn(chunks[0]))
    if on_done is not None:
        on_done(len(chunks[0]))
    _STATE["fn"] = fn
    try:
        with ProcessPoolExecutor(max_workers=min(n_workers, len(chunks) - 1),
                                 mp_context=get_context("fork")) as pool:
            for c, res in zip(chunks[1:], pool.map(_run_chunk, chunks[1:])):
                out.extend(res)
                if on_done is not None:
                    on_done(len(c))
    finally:
        _STATE.clear()
    return out


def _start_methods() -> list[str]:
    from multiprocessing import get_all_start_methods

    return get_all_start_methods()
