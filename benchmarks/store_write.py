"""Trace-store write throughput: batched commits vs one commit per trace, same traces, one run.

Each commit is a parquet shard + an fsynced journal line, so batching is what makes the store
fast; this measures by how much. Last line: ``ratio: X`` (per-trace wall / batched wall).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from thinkscope.traces import ModelInfo, Trace, TraceStore


def traces(n: int) -> list[Trace]:
    text = "Let me think. " * 200
    return [Trace(problem_id=f"p{i}", corpus="bench", model=ModelInfo(id="m"), reasoning=text,
                  completion_token_ids=list(range(500))) for i in range(n)]


def timed_append(batch_size: int, items: list[Trace]) -> float:
    with tempfile.TemporaryDirectory() as d:
        store = TraceStore(d)
        t0 = time.perf_counter()
        store.append(items, batch_size=batch_size)
        wall = time.perf_counter() - t0
        assert len(store) == len(items)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--batch-size", type=int, default=256)
    args, _ = ap.parse_known_args()
    items = traces(args.n)
    single = timed_append(1, items)
    batched = timed_append(args.batch_size, items)
    print(f"traces: {args.n}")
    print(f"one commit per trace: {single:.3f} s ({args.n / single:,.0f} traces/s)")
    print(f"batches of {args.batch_size}: {batched:.3f} s ({args.n / batched:,.0f} traces/s)")
    print(f"ratio: {single / batched:.1f}")


if __name__ == "__main__":
    main()
