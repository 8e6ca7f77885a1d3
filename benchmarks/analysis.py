"""Throughput of the text analyzers (behaviours with the keyword and classifier detectors, step
errors) over ~1,000 real traces on one core, against a plain regex scan of the same text.

The traces are the real files in ../shared/data (Venhoff segment-labelled traces and BIG-Bench
Mistake), cycled to ``--n`` traces, each copy made distinct; the shared traces are shorter than
a typical reasoning model's, so each benchmark trace joins as many consecutive real reasonings as
it takes for the whole set to reach ``--mb`` megabytes. Segments come from our sentence
segmenter (``auto``), as for unlabelled traces. Last line: ``ratio: X`` (analyzers wall /
regex-scan wall).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # the 1,000-trace case runs on one core

import argparse  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from itertools import cycle  # noqa: E402
from pathlib import Path  # noqa: E402

from thinkscope.analyze.behaviors import get_detector, label_traces  # noqa: E402
from thinkscope.analyze.errors import check_traces  # noqa: E402
from thinkscope.traces import TraceStore  # noqa: E402
from thinkscope.traces.io import import_paths  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_SCAN = re.compile(r"\b(?:wait|alternatively|hmm|maybe|perhaps|check|verify)\b|=", re.I)


def _base(data: Path) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        store = TraceStore(Path(tmp) / "s", create=True)
        import_paths([data / "venhoff-dev", data / "bbm-arithmetic-dev"], store,
                     progress=False)
        return list(store.iter_traces())


def _store_of(base: list, n: int, root: Path) -> TraceStore:
    """A store of ``n`` distinct traces cycled from ``base`` (each a numbered copy)."""
    from thinkscope.traces import trace_id_for

    store = TraceStore(root, create=True)
    pool = cycle(base)
    batch = []
    for i in range(n):
        b = next(pool)
        c = b.model_copy(update={"annotations": None, "problem_id": f"{b.problem_id}-{i}",
                                 "reasoning": f"Copy {i}.\n" + b.reasoning})
        c.trace_id = trace_id_for(c.key)
        batch.append(c)
        if len(batch) == 10_000:
            store.append(batch, batch_size=10_000)
            batch = []
    if batch:
        store.append(batch, batch_size=10_000)
    return store


def _scale_case(base: list, n: int, workers: int | None) -> tuple[float, float, int]:
    """What ``thinkscope analyze behaviors`` (classifier, sentences) and ``analyze errors`` do
    over a store of ``n`` traces: read, label/check, summarise, write. Returns (seconds, MB,
    checkable steps)."""
    from thinkscope.analyze.behaviors import write_behaviors
    from thinkscope.analyze.errors import write_errors

    with tempfile.TemporaryDirectory() as tmp:
        store = _store_of(base, n, Path(tmp) / "s")
        t0 = time.perf_counter()
        traces = list(store.iter_traces())
        mb = sum(len(t.reasoning.encode()) for t in traces) / 1e6
        res = label_traces(traces, get_detector("classifier"), "auto", progress=False,
                           workers=workers)
        write_behaviors(res, Path(tmp) / "behaviors")
        df = check_traces(traces, "auto", progress=False, workers=workers)
        write_errors(df, Path(tmp) / "errors")
        return time.perf_counter() - t0, mb, int(df["n_checkable"].sum())


def scale(data: Path, n: int, workers: int | None) -> int:
    """The 1,000- and ``n``-trace cases side by side: wall time and its ratio per trace."""
    base = _base(data)
    get_detector("classifier")  # load once, outside the timings
    small_s, small_mb, _ = _scale_case(base, 1000, workers)
    print(f"1,000 traces ({small_mb:.1f} MB): {small_s:7.1f} s", flush=True)
    big_s, big_mb, checkable = _scale_case(base, n, workers)
    print(f"{n:,} traces ({big_mb:.1f} MB, {checkable:,} checkable steps): {big_s:7.1f} s "
          f"({big_s / 60:.1f} min; target < 10 min)")
    per = (big_s / n) / (small_s / 1000)
    print(f"time per trace, {n:,} vs 1,000 traces (1.0 = linear): {per:.2f}")
    print(f"ratio: {big_s / small_s:.1f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("THINKSCOPE_SHARED_DATA",
                                                                     DEFAULT_DATA)))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--mb", type=float, default=5.0, help="megabytes of reasoning in all")
    ap.add_argument("--scale", type=int, default=None, metavar="N",
                    help="instead: the CLI's behaviours + step errors over a store of N traces "
                         "(e.g. 100000) against 1,000, on every core")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"skipped: real data folder {args.data} not present")
        return 0
    if args.scale:
        return scale(args.data, args.scale, args.workers)
    base = _base(args.data)
    per_trace = args.mb * 1e6 / args.n
    pool = cycle(base)
    # Each trace gets its own text (a numbered first line), so no cache sees a text twice.
    traces, total, joined = [], 0, 0
    for i in range(args.n):
        parts = [next(pool)]
        total += len(parts[0].reasoning.encode())
        while total < (i + 1) * per_trace:
            parts.append(next(pool))
            total += len(parts[-1].reasoning.encode())
        joined += len(parts)
        traces.append(parts[0].model_copy(update={
            "annotations": None,
            "reasoning": f"Copy {i}.\n" + "\n\n".join(p.reasoning for p in parts)}))
    mb = sum(len(t.reasoning.encode()) for t in traces) / 1e6
    print(f"{len(traces)} traces ({len(base)} distinct, cycled; {joined / len(traces):.1f} "
          f"joined per trace on average), "
          f"{mb:.1f} MB of reasoning text")

    t0 = time.perf_counter()
    hits = sum(len(_SCAN.findall(t.reasoning)) for t in traces)
    scan = time.perf_counter() - t0
    print(f"regex scan:            {scan:7.3f} s  ({hits} hits)")

    walls = {}
    for name in ("keyword", "classifier"):
        det = get_detector(name)
        t0 = time.perf_counter()
        res = label_traces(traces, det, "auto", progress=False, workers=1)
        walls[name] = time.perf_counter() - t0
        print(f"behaviors/{name:<11s} {walls[name]:7.3f} s  ({len(res.segments)} segments)")
    t0 = time.perf_counter()
    df = check_traces(traces, "auto", progress=False, workers=1)
    walls["errors"] = time.perf_counter() - t0
    print(f"step errors:           {walls['errors']:7.3f} s  ({int(df['n_checkable'].sum())} "
          "checkable steps)")
    total = sum(walls.values())
    print(f"analyzers total:       {total:7.3f} s  = {len(traces) / total:.0f} traces/s, "
          f"{mb / total:.2f} MB/s (target: < 30 s for 1,000 traces)")
    print(f"ratio: {total / scan:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
