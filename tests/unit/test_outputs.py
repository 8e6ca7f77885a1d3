"""Analysis outputs are written all or nothing under a manifest; a report never silently mixes
a new table with an old summary; ``thinkscope run`` redoes a step whose plan changed."""

import json
import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from thinkscope.analyze.errors import check_traces, write_errors
from thinkscope.cli import app
from thinkscope.outputs import atomic_outputs, verify_outputs
from thinkscope.pipeline import Pipeline, Plan, TraceSet
from thinkscope.report import StaleOutputsError, build_report
from thinkscope.traces import ModelInfo, Trace, TraceStore

runner = CliRunner()


def errors_table(n_bad: int) -> pd.DataFrame:
    """Step-error results of 6 arithmetic traces, ``n_bad`` of them with a wrong step."""
    traces = [Trace(problem_id=f"p{i}", corpus="c", model=ModelInfo(id="m"),
                    reasoning=f"First, {i} + 2 = {i + 2 + (1 if i < n_bad else 0)}. "
                              f"Then 3 * 4 = 12.")
              for i in range(6)]
    return check_traces(traces, "auto", progress=False)


def test_failed_write_leaves_the_old_outputs_and_no_scratch(tmp_path):
    with atomic_outputs(tmp_path, "x") as d:
        (d / "a.json").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_outputs(tmp_path, "x") as d:
            (d / "a.json").write_text("new")
            raise RuntimeError("killed")
    assert (tmp_path / "a.json").read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    assert verify_outputs(tmp_path) == []


def test_interrupted_rerun_is_flagged_by_the_report_and_refused_when_strict(tmp_path,
                                                                             monkeypatch):
    out = tmp_path / "run"
    write_errors(errors_table(1), out / "errors")
    assert verify_outputs(out) == []
    build_report(out)
    # a rerun killed after its first file was moved into place
    real = os.replace
    moved = {"n": 0}

    def dying_replace(src, dst):
        if str(dst).endswith(".parquet") or str(dst).endswith(".json") and "manifest" not in \
                str(dst) and ".tmp-" in str(src):
            moved["n"] += 1
            if moved["n"] == 2:
                raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        write_errors(errors_table(4), out / "errors")
    monkeypatch.undo()
    problems = verify_outputs(out)
    assert problems and any("did not complete" in p for p in problems)
    page = build_report(out)
    assert "incomplete or mixed" in page.read_text()
    assert json.loads((out / "summary.json").read_text())["problems"] == problems
    with pytest.raises(StaleOutputsError):
        build_report(out, strict=True)
    res = runner.invoke(app, ["report", str(out), "--strict"])
    assert res.exit_code == 1 and "did not complete" in res.stderr


def test_a_file_replaced_by_another_run_is_detected(tmp_path):
    with atomic_outputs(tmp_path, "behaviors") as d:
        pd.DataFrame({"a": [1]}).to_parquet(d / "segments.parquet")
        (d / "summary.json").write_text("{}")
    pd.DataFrame({"a": [2]}).to_parquet(tmp_path / "segments.parquet")  # an old-style writer
    (tmp_path / "stray.parquet").write_bytes(b"x")
    problems = verify_outputs(tmp_path)
    assert any("segments.parquet: changed since" in p for p in problems)
    assert any("stray.parquet: not covered" in p for p in problems)


def test_run_redoes_a_step_whose_plan_changed(tmp_path):
    store = TraceStore(tmp_path / "store")
    calls = []

    def plan(model):
        return Plan(corpus="c", traces=(TraceSet(model=model, n=1),))

    p1 = Pipeline(plan("organism:a"), tmp_path / "out", progress=False, log=lambda s: None,
                  store=store)
    p1._step("behaviors", lambda d: calls.append("a") or (d / "x.txt").write_text("a"))
    p1._step("behaviors", lambda d: calls.append("again"))
    assert calls == ["a"]  # same plan: done, skipped
    p2 = Pipeline(plan("organism:b"), tmp_path / "out", progress=False, log=lambda s: None,
                  store=store)
    p2._step("behaviors", lambda d: calls.append("b"))
    assert calls == ["a", "b"]
    assert not (tmp_path / "out" / "behaviors" / "x.txt").exists()  # old plan's outputs gone
    done = json.loads((tmp_path / "out" / "behaviors" / ".done").read_text())
    assert done["plan"] == p2.plan_hash() != p1.plan_hash()
