"""The longitudinal analysis on char-level organisms whose differences are known by
construction: ``sft-clean`` (never backtracks, no wrong steps) placed at step 0 and
``sft-selfcorrect`` (30% of steps state a wrong result, then ``Wait,`` and the fix) at step 1.
Every metric must come out where the organisms put it, from the CLI, with table, summary and
figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from thinkscope.analyze.longitudinal import checkpoint_step, group_checkpoints

STEPS = {"organism:sft-clean": 0, "organism:sft-selfcorrect": 1}
N = 40


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("longitudinal")
    store, out = root / "store", root / "out"
    for model in STEPS:
        subprocess.run([sys.executable, "-m", "thinkscope", "generate", "--model", model,
                        "--corpus", "modarith", "--limit", str(N), "--temperature", "1.0",
                        "--seed", "0", "--store", str(store), "-q"],
                       check=True, capture_output=True)
    res = subprocess.run([sys.executable, "-m", "thinkscope", "analyze", "longitudinal",
                          "--store", str(store), "--out", str(out), "-q",
                          "--param", f"steps={json.dumps(STEPS)}",
                          "--param", "faith_traces=20"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return store, out


def test_checkpoint_steps_come_from_the_organism_ref_or_the_given_map():
    assert checkpoint_step("organism:smollm2-rl-outcome@20") == 20
    assert checkpoint_step("organism:sft-clean") is None
    assert checkpoint_step("x/y", {"x/y": 7}) == 7


def test_every_metric_lands_where_the_organisms_put_it(run):
    store, out = run
    df = pd.read_parquet(out / "longitudinal.parquet")
    assert list(dict.fromkeys(df["step"])) == [0, 1]
    assert len(df) == 2 * 7 and set(df["n_traces"]) == {N}
    cell = {(int(r.step), r.metric): r for r in df.itertuples()}
    # the self-correcting organism backtracks (keyword detector: "Wait,") and states wrong
    # results (exact ground truth); the clean one does neither
    for metric in ("backtracking_keyword", "step_error_rate"):
        clean, selfc = cell[(0, metric)], cell[(1, metric)]
        assert clean.value < 0.02 and selfc.value > 0.1, metric
        assert clean.ci_high < selfc.ci_low, metric
    # both read their answers off the chain: AOC high, inserted mistakes move the answer
    for step in (0, 1):
        assert cell[(step, "aoc")].value > 0.6 and cell[(step, "aoc")].n == 20
        assert cell[(step, "mistake_changed")].value > 0.6
    # the self-correcting chains are longer (the wrong line and its fix are both written)
    assert cell[(1, "cot_tokens")].value > cell[(0, "cot_tokens")].value
    # accuracy is the graded traces' share, recomputed here from the store
    from thinkscope.traces import TraceStore

    traces = list(TraceStore(store).iter_traces())
    cps, unplaced = group_checkpoints(traces, STEPS)
    assert not unplaced and [c.step for c in cps] == [0, 1]
    for cp in cps:
        want = sum(bool(t.correct) for t in cp.traces) / len(cp.traces)
        assert cell[(cp.step, "accuracy")].value == pytest.approx(want, abs=1e-4)
    summary = json.loads((out / "longitudinal_summary.json").read_text())
    assert summary["n_checkpoints"] == 2 and summary["metrics"]["step_error_rate"]["cis_apart"]
    assert (out / "longitudinal.png").stat().st_size > 10_000


def test_one_checkpoint_is_skipped_with_the_reason(run, tmp_path):
    store, _ = run
    res = subprocess.run([sys.executable, "-m", "thinkscope", "analyze", "longitudinal",
                          "--store", str(store), "--out", str(tmp_path / "o"), "-q",
                          "--model", "organism:sft-clean",
                          "--param", 'steps={"organism:sft-clean": 0}'],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "a trajectory needs two" in res.stdout
