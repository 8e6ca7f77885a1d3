"""A writer killed with SIGKILL at random moments, then resumed, loses and duplicates nothing."""

import os
import random
import signal
import subprocess
import sys
import time

from thinkscope.traces import TraceStore

WRITER = r"""
import sys, time
from thinkscope.traces import ModelInfo, Trace, TraceStore
store = TraceStore(sys.argv[1])
n = int(sys.argv[2])
delay = float(sys.argv[3])  # paces the killed runs so a kill always lands mid-run
print("ready", flush=True)
def traces():
    for i in range(n):
        time.sleep(delay)
        yield Trace(problem_id=f"p{i}", corpus="kill", model=ModelInfo(id="m"),
                    reasoning=f"value {i * i}")
store.append(traces(), batch_size=5)
print("done", flush=True)
"""

N = 2000


def _start(root, delay=0.0):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(N), str(delay)],
                            stdout=subprocess.PIPE, text=True)


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path):
    root = tmp_path / "store"
    rng = random.Random(0)
    kills = 0
    for _ in range(5):
        # at >= 2 ms per trace, five runs of <= 0.6 s cannot write all N traces
        proc = _start(root, delay=0.002)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        # Between runs the store is always readable and consistent.
        df = TraceStore(root).to_pandas()
        assert df["key"].is_unique
    assert kills >= 3, "the writer finished too fast to be killed mid-run"
    partial = len(TraceStore(root))
    assert partial < N
    proc = _start(root)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "done" in out
    store = TraceStore(root)
    df = store.to_pandas()
    assert len(df) == N and df["key"].is_unique
    expected = {f"p{i}": f"value {i * i}" for i in range(N)}
    assert dict(zip(df["problem_id"], df["reasoning"])) == expected
    assert not [p for p in (root / "shards").iterdir() if p.name.startswith(".tmp")]
