"""The longitudinal analysis as the registered ``longitudinal`` analysis: ``thinkscope analyze
longitudinal --store S`` over a store holding traces of several checkpoints of one run."""

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
)


class LongitudinalParams(BaseModel):
    """Which checkpoints are where along training, and how many traces the model-facing
    measurements use."""

    model_config = ConfigDict(extra="forbid")
    steps: dict[str, int] = Field(default_factory=dict,
                                  description="training step of models without an @STEP suffix")
    faith_traces: int = Field(40, description="traces per checkpoint for AOC and mistakes")
    faithfulness: bool = Field(True, description="measure AOC and mistakes (needs the model)")


def _tokens(model: str) -> int | None:
    from ...organisms import checkpoint_tokens

    try:
        return checkpoint_tokens(model)
    except (KeyError, FileNotFoundError):
        return None


def _run(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._run import group_checkpoints, longitudinal_table, summarize_longitudinal

    checkpoints, unplaced = group_checkpoints(traces, p.steps, _tokens)
    if len(checkpoints) < 2:
        return AnalysisResult({}, {"unplaced_models": unplaced},
                              skipped=f"{len(checkpoints)} checkpoint(s) with a known step; a "
                                      "trajectory needs two (models named NAME@STEP or given "
                                      "steps={...})")
    facing = p.faithfulness and ctx.backend is not None
    df = longitudinal_table(checkpoints, ctx.backend if facing else None,
                            ctx.builder if facing else None, p.faith_traces, ctx.progress)
    summary = summarize_longitudinal(df)
    summary["unplaced_models"] = unplaced
    return AnalysisResult({"longitudinal": df}, summary)


def _figure(d: Path) -> Any:
    from ...figures import longitudinal_figure

    return longitudinal_figure(d / "longitudinal.parquet", LONGITUDINAL.figure_path(d))


def _metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for m in s.get("metrics", {}).values():
        for end in ("first", "last"):
            c = m[end]
            rows.append((f"step {c['step']}", m["label"], c))
    return rows


def _findings(s: dict[str, Any]) -> list[str]:
    out = []
    for m in s.get("metrics", {}).values():
        a, b = m["first"], m["last"]
        if a["value"] is None or b["value"] is None:
            continue
        verdict = "CIs apart" if m["cis_apart"] else "CIs overlap"
        out.append(f"{m['label']}: {a['value']:.3g} at step {a['step']} -> {b['value']:.3g} at "
                   f"step {b['step']} (n={a['n']}, {b['n']}; {verdict}).")
    return out


LONGITUDINAL = register_analysis(Analysis(
    name="longitudinal",
    description="the same measurements at every checkpoint of a training run (accuracy, "
                "backtracking, step errors, CoT length, AOC, mistake sensitivity) against step",
    run=_run, params=LongitudinalParams, needs_model=True, title="along training",
    metrics=_metrics, figure=_figure, findings=_findings, in_run=False,
    caption=lambda s: (
        f"Each metric at {s.get('n_checkpoints', 0)} checkpoints (steps "
        f"{', '.join(map(str, s.get('steps', [])))}), same held-out problems and seeds, with "
        "95% CIs (Wilson for proportions, bootstrap over problems otherwise)."),
))
