"""Step-level errors as the registered ``errors`` analysis: one row per trace, read into the
report through the registry. Files keep their long-standing names (``traces.parquet``,
``summary.json``, ``errors.png``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...traces import Trace
from .._registry import (
    Analysis,
    AnalysisContext,
    AnalysisResult,
    MetricRows,
    register_analysis,
    summary_n_traces,
)


class ErrorParams(BaseModel):
    """Which steps are checked, grouped how, on how many workers."""

    model_config = ConfigDict(extra="forbid")
    segments: str = Field("auto", description="gold, sentences, lines or auto")
    by: str = Field("model", description="the column rates are grouped by")
    executor: str = Field("local", description="local processes or ray")
    workers: int | None = None


def errors_result(df: Any, by: str = "model") -> AnalysisResult:
    from ._run import summarize_errors

    return AnalysisResult({"traces": df}, summarize_errors(df, by))


def _run(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._run import check_traces

    df = check_traces(traces, p.segments, progress=ctx.progress, workers=p.workers,
                      executor=p.executor)
    return errors_result(df, p.by)


def _figure(d: Path) -> Any:
    from ...figures import error_rates_figure

    return error_rates_figure(d / ERRORS.summary_file, d / ERRORS.figure_file)


def _metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for g, e in s.get("groups", {}).items():
        rows.append((g, "step error rate", {**e["step_error_rate"], "n": e["n_checkable"]}))
        rows.append((g, "answer accuracy", e["answer_accuracy"]))
    return rows


ERRORS = register_analysis(Analysis(
    name="errors",
    description="arithmetic steps checked exactly (organism chains against ground truth): "
                "step error rate, first erroneous step, answer accuracy",
    run=_run, params=ErrorParams, title="step errors", metrics=_metrics, figure=_figure,
    caption=lambda s: (
        "Step error rate (erroneous / checkable steps, safe symbolic checker; organism chains "
        "against exact ground truth) by model, with the checkable steps behind each bar; "
        f"{summary_n_traces(s)} traces "
        "(answer accuracy is in the summary table)."),
    in_run=False, summary_file="summary.json", figure_file="errors.png",
))
