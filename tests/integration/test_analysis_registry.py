"""One module registering an analysis through the public API is enough for it to appear in
``thinkscope analyze``, in ``thinkscope run``'s plan and as a section of the report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from thinkscope.analyze import (
    ANALYSES,
    Analysis,
    AnalysisContext,
    AnalysisResult,
    register_analysis,
)
from thinkscope.cli import app
from thinkscope.pipeline import Pipeline, Plan, TraceSet
from thinkscope.stats import mean_ci
from thinkscope.traces import ModelInfo, Trace, TraceStore


class WordParams(BaseModel):
    scale: float = Field(1.0, gt=0, description="multiplies every count")


def _words(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    df = pd.DataFrame([{"model": t.model.id, "problem_id": t.problem_id,
                        "words": p.scale * len(t.reasoning.split())} for t in traces])
    groups = {m: mean_ci(g["words"].tolist(), g["problem_id"].tolist())
              for m, g in df.groupby("model")}
    return AnalysisResult({"words": df}, {"groups": groups, "scale": p.scale})


def _figure(dest) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = pd.read_parquet(dest / "words.parquet")
    fig, ax = plt.subplots()
    df.groupby("model")["words"].mean().plot.bar(ax=ax)
    fig.savefig(dest / "toy-words.png")
    plt.close(fig)


TOY = Analysis(
    name="toy-words", description="words of reasoning per trace (a test analysis)",
    run=_words, params=WordParams, title="Toy words",
    metrics=lambda s: [(m, "words per trace", c) for m, c in s["groups"].items()],
    figure=_figure, caption=lambda s: f"Words per trace (scale {s['scale']}).")


@pytest.fixture()
def toy():
    register_analysis(TOY)
    try:
        yield TOY
    finally:
        ANALYSES.remove(TOY.name)


def _store(path) -> TraceStore:
    st = TraceStore(path, create=True)
    st.write_batch([Trace(problem_id=f"p{i}", corpus="c", model=ModelInfo(id=f"m{i % 2}"),
                          reasoning=" ".join(["w"] * (3 + i % 2)), answer="1")
                    for i in range(10)])
    return st


def test_a_registered_analysis_gets_a_cli_command(toy, tmp_path):
    _store(tmp_path / "s")
    runner = CliRunner()
    helptext = runner.invoke(app, ["analyze", "--help"]).stdout
    assert "toy-words" in helptext
    sub = runner.invoke(app, ["analyze", "toy-words", "--help"]).stdout
    assert "scale (default 1.0) - multiplies every count" in " ".join(sub.replace("│", " ")
                                                                       .split())
    res = runner.invoke(app, ["analyze", "toy-words", "-s", str(tmp_path / "s"), "-o",
                              str(tmp_path / "o"), "--param", "scale=2"])
    assert res.exit_code == 0, res.output
    # m0 has 3 words per trace, m1 has 4; scaled by 2
    assert "m0: words per trace 6.0" in res.stdout and "m1: words per trace 8.0" in res.stdout
    summary = json.loads((tmp_path / "o" / "toy-words_summary.json").read_text())
    assert summary["params"] == {"scale": 2.0}
    assert (tmp_path / "o" / "toy-words.manifest.json").exists()
    assert (tmp_path / "o" / "toy-words.png").stat().st_size > 1000
    bad = runner.invoke(app, ["analyze", "toy-words", "-s", str(tmp_path / "s"), "-o",
                              str(tmp_path / "o2"), "--param", "scale=-1"])
    assert bad.exit_code == 2 and "scale" in bad.output
    unknown = runner.invoke(app, ["analyze", "toy-words", "-s", str(tmp_path / "s"), "-o",
                                  str(tmp_path / "o2"), "--param", "size=1"])
    assert unknown.exit_code == 2 and "KEY one of scale" in unknown.output
    listed = runner.invoke(app, ["list", "analyses"]).stdout
    assert "toy-words" in listed and "hints" in listed and "paraphrase" in listed


def test_a_registered_analysis_runs_in_the_pipeline_and_reaches_the_report(toy, tmp_path):
    out = tmp_path / "run"
    plan = Plan(corpus="modarith", traces=(TraceSet("organism:sft-clean", 8, (2,)),))
    pipe = Pipeline(plan, out, device="cpu", progress=False, log=lambda s: None)
    names = [s.name for s in pipe.registered_steps()]
    assert "toy-words" in names and "hints" in names and "paraphrase" in names
    pipe.plan = Plan(corpus="modarith", traces=plan.traces,
                     analyses=(*[s for s in pipe.registered_steps() if s.name != "hints"],))
    pipe.run()
    page = (out / "report.html").read_text()
    assert "Toy words" in page and "words per trace" in page
    assert "Words per trace (scale 1.0)." in page  # the figure's caption
    # paraphrase has no rewriter here: the report says it was skipped and why
    assert "no rewriter model given" in page
    metrics = json.loads((out / "summary.json").read_text())["metrics"]
    toy_rows = [m for m in metrics if m["section"] == "Toy words"]
    assert toy_rows and toy_rows[0]["group"] == "organism:sft-clean" and toy_rows[0]["n"] == 8
    # a rerun under the same plan redoes nothing; new parameters redo that step only
    stamp = (out / "toy-words" / ".done").stat().st_mtime_ns
    pipe.run()
    assert (out / "toy-words" / ".done").stat().st_mtime_ns == stamp
