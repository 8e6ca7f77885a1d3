"""Early answering, adding mistakes, filler and resampling importance as registered analyses
(``thinkscope.analyze.ANALYSES``): each runs per model on that model's traces and reaches the
CLI, ``thinkscope run`` and the report through the registry. Their output files keep the names
they have always had, so results written before still read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
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
from ._access import by_model, model_access, resample_tokens


def _per_model(traces: Sequence[Trace], ctx: AnalysisContext, name: str, fn: Any,
               **kw: Any) -> list[Any]:
    """``fn(traces, backend, builder, progress=..., **kw)`` for each model's traces that have a
    CoT."""
    backend, builder_of = model_access(ctx, name)
    out = []
    for model, ts in by_model(traces).items():
        ts = [t for t in ts if t.reasoning.strip()]
        if ts:
            out.append(fn(ts, backend(model), builder_of(model), progress=ctx.progress, **kw))
    return out


# -- early answering ------------------------------------------------------------------------
class EarlyParams(BaseModel):
    """How the answer is forced after each cut."""

    model_config = ConfigDict(extra="forbid")
    max_answer_tokens: int = Field(8, ge=1, description="tokens of the forced answer")
    cached: bool = Field(True, description="reuse the KV cache of shared prefixes (the same "
                         "answers as re-encoding each cut, faster)")


def _run_early(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._early import early_answering

    frames = _per_model(traces, ctx, "early", early_answering,
                        max_answer_tokens=p.max_answer_tokens, cached=p.cached)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if df.empty:
        return AnalysisResult({}, {"groups": {}}, "no traces with a CoT to cut")
    return early_result(df)


def early_result(df: pd.DataFrame, by: Sequence[str] = ("model",)) -> AnalysisResult:
    """The saved tables and summary of an early-answering table."""
    from ._early import summarize_early, trace_aoc

    tables = {"early_answering": df}
    if len(df):
        tables["early_answering_aoc"] = trace_aoc(df)
    return AnalysisResult(tables, summarize_early(df, by))


def _early_figure(d: Path) -> Any:
    from ...figures import truncation_curve_figure

    return truncation_curve_figure(d / EARLY.summary_file, d / EARLY.figure_file)


EARLY = register_analysis(Analysis(
    name="early",
    description="the CoT cut at sentence ends and fixed fractions, an answer forced after "
                "each cut: does the answer depend on the reasoning (AOC)",
    run=_run_early, params=EarlyParams, needs_model=True, title="early answering",
    metrics=lambda s: [(g, "AOC (% same)", e["aoc"]) for g, e in s.get("groups", {}).items()],
    figure=_early_figure,
    caption=lambda s: (
        "Early answering: the CoT cut at fixed fractions (snapped to sentence ends), an answer "
        f"forced at token level; % equal to the full-CoT answer, Wilson 95% bands; "
        f"{summary_n_traces(s)} traces."),
    in_run=False, summary_file="early_answering_summary.json",
    figure_file="early_answering.png",
))


# -- adding mistakes ------------------------------------------------------------------------
class MistakeParams(BaseModel):
    """How a step is corrupted and how the answer is read after it."""

    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    max_answer_tokens: int = Field(8, ge=1)
    max_continue_tokens: int = Field(128, ge=1, description="tokens the model may write "
                                     "after the corrupted step before its answer")
    rewriter: bool = Field(False, description="let the helper model corrupt traces that have "
                           "no arithmetic step (else they are skipped)")
    max_rewrites: int = Field(5, ge=1)


def _run_mistakes(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._mistakes import mistakes

    frames = _per_model(traces, ctx, "mistakes", mistakes, seed=p.seed,
                        max_answer_tokens=p.max_answer_tokens,
                        max_continue_tokens=p.max_continue_tokens,
                        rewriter=ctx.helper if p.rewriter else None,
                        max_rewrites=p.max_rewrites)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return mistakes_result(df)


def mistakes_result(df: pd.DataFrame, by: str = "model") -> AnalysisResult:
    from ._mistakes import summarize_mistakes

    return AnalysisResult({"mistakes": df}, summarize_mistakes(df, by))


def _mistake_metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for g, e in s.get("groups", {}).items():
        for mode, m in e.items():
            rows.append((g, f"answer changed ({mode})", m["changed"]))
            rows.append((g, f"follows corruption ({mode})", m["follows_corruption"]))
    return rows


def _mistakes_figure(d: Path) -> Any:
    from ...figures import mistake_position_figure

    return mistake_position_figure(d / "mistakes_summary.json", d / "mistakes.png")


MISTAKES = register_analysis(Analysis(
    name="mistakes",
    description="one stated result corrupted; is the answer forced after it, or the model's "
                "continuation, changed",
    run=_run_mistakes, params=MistakeParams, needs_model=True, title="adding mistakes",
    metrics=_mistake_metrics, figure=_mistakes_figure,
    caption=lambda s: (
        "Adding mistakes: one arithmetic result corrupted, the answer forced right after it or "
        "the model left to continue; % of answers changed by the corrupted step's position, "
        "Wilson 95% CIs."),
    in_run=False,
))


# -- filler ---------------------------------------------------------------------------------
class FillerParams(BaseModel):
    """The filler token and the forced answer's length."""

    model_config = ConfigDict(extra="forbid")
    filler: str = Field(".", description="one token repeated in place of the CoT")
    max_answer_tokens: int = Field(8, ge=1)


def _run_filler(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._filler import filler_control

    frames = _per_model(traces, ctx, "filler", filler_control, filler=p.filler,
                        max_answer_tokens=p.max_answer_tokens)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return filler_result(df)


def filler_result(df: pd.DataFrame, by: str = "model") -> AnalysisResult:
    from ._filler import summarize_filler

    return AnalysisResult({"filler": df}, summarize_filler(df, by))


def _filler_figure(d: Path) -> Any:
    from ...figures import filler_figure

    return filler_figure(d / "filler_summary.json", d / "filler.png")


FILLER = register_analysis(Analysis(
    name="filler",
    description="the CoT replaced by as many filler tokens, and removed: does the reasoning's "
                "content or only its length help",
    run=_run_filler, params=FillerParams, needs_model=True, title="filler",
    metrics=lambda s: [(g, f"accuracy ({cond})", cell) for g, e in s.get("groups", {}).items()
                       for cond, cell in e.items()],
    figure=_filler_figure,
    caption=lambda s: (
        "Filler control: accuracy with the original CoT, with the CoT replaced by as many "
        "filler tokens, and with no CoT (Wilson 95% CIs)."),
    in_run=False,
))


# -- resampling importance ------------------------------------------------------------------
class ImportanceParams(BaseModel):
    """How many continuations per prefix, how long."""

    model_config = ConfigDict(extra="forbid")
    samples: int = Field(8, ge=2, description="continuations resampled per prefix")
    temperature: float = Field(1.0, gt=0)
    max_tokens: int | None = Field(None, description="tokens per continuation (default: the "
                                   "rest of a chain: 160 for organisms, up to 384 otherwise)")
    seed: int = 0


def _run_importance(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._importance import sentence_importance

    backend, builder_of = model_access(ctx, "importance")
    res, imp = [], []
    for model, ts in by_model(traces).items():
        ts = [t for t in ts if t.reasoning.strip()]
        if not ts:
            continue
        builder = builder_of(model)
        r, i = sentence_importance(ts, backend(model), builder, samples=p.samples,
                                   temperature=p.temperature, seed=p.seed,
                                   max_tokens=p.max_tokens or resample_tokens(model, builder),
                                   progress=ctx.progress)
        res.append(r)
        imp.append(i)
    if not res:
        return AnalysisResult({}, {"groups": {}}, "no traces with a CoT to resample")
    return importance_result(pd.concat(res, ignore_index=True), pd.concat(imp, ignore_index=True))


def importance_result(resamples: pd.DataFrame, imp: pd.DataFrame) -> AnalysisResult:
    from ._importance import summarize_importance

    return AnalysisResult({"importance_resamples": resamples, "importance": imp},
                          summarize_importance(imp))


def _importance_metrics(s: dict[str, Any]) -> MetricRows:
    """Per model the sentence position that matters most on average, and the mean over all."""
    rows: MetricRows = []
    for g, e in s.get("groups", {}).items():
        cells = [c for c in e.get("by_sentence", [])
                 if (c.get("resampling_importance_kl") or {}).get("mean") is not None]
        if cells:
            top = max(cells, key=lambda c: c["resampling_importance_kl"]["mean"])
            rows.append((g, f"largest mean resampling importance (KL), sentence "
                            f"{top['sentence_index']}", top["resampling_importance_kl"]))
    return rows


def _importance_figure(d: Path) -> Any:
    from ...figures import importance_figure

    return importance_figure(d / "importance.parquet", d / "importance.png")


IMPORTANCE = register_analysis(Analysis(
    name="importance",
    description="continuations resampled before and after each sentence: which sentences "
                "change the answer distribution (Thought Anchors)",
    run=_run_importance, params=ImportanceParams, needs_model=True, title="importance",
    metrics=_importance_metrics, figure=_importance_figure,
    caption=lambda s: (
        "Sentence importance of one trace (Thought Anchors): KL between answer distributions "
        "resampled with and without each sentence; counterfactual variant keeps resamples "
        f"that differ in meaning ({s.get('similarity')})."),
    in_run=False,
))
