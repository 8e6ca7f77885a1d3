"""`thinkscope generate` killed with SIGKILL mid-run, then rerun, loses and duplicates nothing
and ends with exactly the traces of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time

from thinkscope.traces import TraceStore

COLUMNS = ["problem_id", "sample_index", "reasoning", "answer", "correct"]


def _cmd(store):
    return [sys.executable, "-m", "thinkscope", "generate", "--model", "organism:sft-clean",
            "--corpus", "modarith", "--limit", "40", "--samples", "2", "--store", str(store),
            "--batch-size", "8", "--chunk-size", "8", "--temperature", "0", "--seed", "1",
            "-q"]


def _shards(store):
    d = store / "shards"
    return len([p for p in d.iterdir() if p.suffix == ".parquet"]) if d.exists() else 0


def test_kill_and_resume_equals_uninterrupted(tmp_path):
    store = tmp_path / "killed"
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(_cmd(store), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        before = _shards(store)
        deadline = time.time() + 120
        while _shards(store) <= before and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        df = TraceStore(store).to_pandas()
        assert df["key"].is_unique
    assert kills >= 2
    assert len(TraceStore(store)) < 80
    done = subprocess.run(_cmd(store), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    clean = tmp_path / "clean"
    subprocess.run(_cmd(clean), check=True, capture_output=True, timeout=600)
    a = TraceStore(store).to_pandas().sort_values(["problem_id", "sample_index"])[COLUMNS]
    b = TraceStore(clean).to_pandas().sort_values(["problem_id", "sample_index"])[COLUMNS]
    assert len(a) == len(b) == 80
    assert a.reset_index(drop=True).equals(b.reset_index(drop=True))
