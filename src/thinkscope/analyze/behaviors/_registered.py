"""Reasoning behaviours as the registered ``behaviors`` analysis: labelled segments and per-trace
rates, read into the report through the registry. Files keep their long-standing names
(``segments.parquet``, ``traces.parquet``, ``summary.json``, ``behaviors.png``)."""

from __future__ import annotations

import json
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


class BehaviorParams(BaseModel):
    """Which detector labels which segments, on how many workers."""

    model_config = ConfigDict(extra="forbid")
    detector: str = Field("keyword", description="keyword, classifier, judge or a plugin")
    segments: str = Field("auto", description="gold, sentences, lines or auto")
    by: str = Field("model", description="the column rates are grouped by")
    executor: str = Field("local", description="local processes or ray")
    workers: int | None = None


def behaviors_result(result: Any, by: str = "model") -> AnalysisResult:
    """The saved tables and summary of a ``BehaviorResult``."""
    from ._run import summarize_behaviors

    return AnalysisResult({"segments": result.segments, "traces": result.traces},
                          summarize_behaviors(result, by))


def _run(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._detectors import get_detector
    from ._run import label_traces

    result = label_traces(traces, get_detector(p.detector), p.segments, progress=ctx.progress,
                          workers=p.workers, executor=p.executor)
    return behaviors_result(result, p.by)


def _figure(d: Path) -> Any:
    from ...figures import behavior_rates_figure

    s = json.loads((d / BEHAVIORS.summary_file).read_text())
    return behavior_rates_figure(d / "traces.parquet", d / BEHAVIORS.figure_file,
                                 by=s.get("by", "model"), detector=s.get("detector"))


def _metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for g, e in s.get("groups", {}).items():
        bt = e["behaviors"]["backtracking"]
        rows.append((g, f"backtracking fraction ({s.get('detector')})", bt["fraction"]))
        rows.append((g, "backtracking per 1k tokens", bt["per_1k_tokens"]))
    return rows


BEHAVIORS = register_analysis(Analysis(
    name="behaviors",
    description="each reasoning segment labelled backtracking, uncertainty, example testing, "
                "adding knowledge, initializing or deduction; rates per model",
    run=_run, params=BehaviorParams, title="behaviors", metrics=_metrics, figure=_figure,
    caption=lambda s: (
        f"Behaviour rates by model: fraction of segments and rate per 1k reasoning tokens, "
        f"bootstrap 95% CIs over problems; detector {s.get('detector')}, "
        f"{s.get('segments')} segments, {summary_n_traces(s)} traces."),
    in_run=False, summary_file="summary.json", figure_file="behaviors.png",
))
