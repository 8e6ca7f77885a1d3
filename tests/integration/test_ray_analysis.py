"""The text analyzers on Ray Data (``executor="ray"``) give exactly the rows of the local run,
in the same order, and the known wrong steps are found on both."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from thinkscope.analyze.behaviors import get_detector, label_traces
from thinkscope.analyze.errors import check_traces
from thinkscope.cli import app
from thinkscope.traces import ModelInfo, Trace, TraceStore


def _traces() -> list[Trace]:
    """40 arithmetic traces; trace i has a wrong step exactly when i % 3 == 0."""
    out = []
    for i in range(40):
        wrong = 1 if i % 3 == 0 else 0
        out.append(Trace(
            problem_id=f"p{i}", corpus="c", model=ModelInfo(id=f"m{i % 2}"),
            reasoning=(f"First, {i} + 2 = {i + 2 + wrong}. Wait, let me check that again. "
                       f"Then 3 * {i} = {3 * i}. So the answer is {3 * i}.")))
    return out


def test_ray_executor_equals_local_and_finds_the_planted_errors(tmp_path):
    ray = pytest.importorskip("ray")
    traces = _traces()
    local_err = check_traces(traces, "auto", progress=False, workers=1, chunk=7)
    local_beh = label_traces(traces, get_detector("keyword"), "auto", progress=False, workers=1,
                             chunk=7)
    store = tmp_path / "s"
    TraceStore(store, create=True).write_batch(traces)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ray_err = check_traces(traces, "auto", progress=False, workers=2, chunk=7,
                               executor="ray")
        ray_beh = label_traces(traces, get_detector("keyword"), "auto", progress=False,
                               workers=2, chunk=7, executor="ray")
        res = CliRunner().invoke(app, ["analyze", "errors", "--store", str(store), "--out",
                                       str(tmp_path / "err"), "--segments", "auto", "-q",
                                       "--executor", "ray", "--workers", "2"])
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(ray_err, local_err)
    pd.testing.assert_frame_equal(ray_beh.traces, local_beh.traces)
    pd.testing.assert_frame_equal(ray_beh.segments, local_beh.segments)
    assert list(ray_err["trace_id"]) == [t.trace_id for t in traces]
    planted = [i % 3 == 0 for i in range(40)]
    assert list(ray_err["n_errors"] > 0) == planted
    assert (ray_beh.traces["n_backtracking"] + ray_beh.traces["n_uncertainty_estimation"]
            ).gt(0).all()  # "Wait, let me check" is labelled in every trace
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "err" / "summary.json").read_text())
    assert sum(g["n_traces"] for g in summary["groups"].values()) == 40
    assert sum(g["traces_with_error"]["k"] for g in summary["groups"].values()) == 14


def test_an_unknown_executor_is_one_clear_error(tmp_path):
    TraceStore(tmp_path / "s", create=True).write_batch(_traces()[:2])
    res = CliRunner().invoke(app, ["analyze", "errors", "--store", str(tmp_path / "s"),
                                   "--out", str(tmp_path / "o"), "--executor", "dask"])
    assert res.exit_code == 2
    assert "--executor must be one of local, ray" in res.output
