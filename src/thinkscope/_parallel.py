"""Chunked work over the machine's cores, results in input order.

The text analyzers are CPU-bound Python (spaCy tokenizing, regexes, exact arithmetic), so
threads do not help; worker processes are forked (Linux) so they inherit the loaded detector
and spaCy pipeline instead of unpickling them per task. Small inputs run inline: forking costs
more than it saves below a few chunks.

For stores larger than one machine handles, ``executor="ray"`` sends the same chunks through
Ray Data to the actors of a Ray cluster (``ray.init()`` connects to a running one, else starts a
local one), as ``generate --workers`` does; the function is shipped once per actor, so lazily
loaded state (spaCy, a classifier) is loaded once per actor, and results come back in input
order.
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


#: where chunks run: forked processes on this machine, or the actors of a Ray cluster
EXECUTORS = ("local", "ray")


def map_chunks(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int | None,
               chunk: int, on_done: Callable[[int], None] | None = None,
               executor: str = "local") -> list[R]:
    """``fn`` over consecutive chunks of ``items`` on ``workers`` processes (None: all cores),
    concatenated in order; ``on_done(n)`` after each chunk (a progress bar). The first chunk
    runs here before the fork, so whatever ``fn`` loads lazily (spaCy, a classifier) is loaded
    once and inherited by the workers. ``executor="ray"``: on ``workers`` Ray actors instead
    (None: one per CPU of the cluster)."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}")
    if executor == "ray":
        return ray_map_chunks(fn, items, workers, chunk, on_done)
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


class _RayChunkActor:
    """A Ray Data actor: receives ``fn`` once (Ray ships constructor arguments itself), then
    maps it over the chunks it is given."""

    def __init__(self, fn: Callable[[Sequence[Any]], list[Any]]) -> None:
        self.fn = fn

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import pickle

        # chunks pickled by this run's driver a moment ago (never bytes read from elsewhere);
        # bytes keep Ray Data from converting traces and result rows to Arrow types
        chunks = [pickle.loads(p) for p in batch["payload"]]  # noqa: S301
        results = [pickle.dumps(list(self.fn(c))) for c in chunks]
        return {"index": list(batch["index"]), "result": results}


def ray_map_chunks(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T],
                   workers: int | None, chunk: int,
                   on_done: Callable[[int], None] | None = None) -> list[R]:
    """``map_chunks`` on a Ray cluster through Ray Data: one row per chunk, ``workers`` actors
    (None: one per cluster CPU), results reassembled in input order. Chunks and results travel
    pickled, so workers need no shared file system."""
    import pickle

    try:
        import ray
    except ImportError as exc:
        raise ImportError("executor='ray' needs ray: pip install 'thinkscope[ray]'") from exc
    chunks = [list(items[i:i + chunk]) for i in range(0, len(items), chunk)]
    if not chunks:
        return []
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    if workers is None:
        workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
    rows = [{"index": i, "payload": pickle.dumps(c)} for i, c in enumerate(chunks)]
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    out: dict[int, list[R]] = {}
    mapped = ds.map_batches(_RayChunkActor, fn_constructor_kwargs={"fn": fn}, batch_size=1,
                            concurrency=min(workers, len(rows)), num_cpus=1,
                            batch_format="numpy")
    for row in mapped.iter_rows():
        i = int(row["index"])
        out[i] = pickle.loads(row["result"])  # noqa: S301  (made by this run's actors)
        if on_done is not None:
            on_done(len(chunks[i]))
    if sorted(out) != list(range(len(chunks))):  # a lost or duplicated chunk is never merged
        raise RuntimeError(f"ray: {len(out)} of {len(chunks)} chunks came back")
    return [r for i in range(len(chunks)) for r in out[i]]
