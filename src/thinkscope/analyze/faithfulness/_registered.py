"""Hints and paraphrase as registered analyses (``thinkscope.analyze.ANALYSES``): each is run
per model on that model's traces, and appears in ``thinkscope analyze``, ``thinkscope run`` and
the report through the registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ...text import strip_hint
from ...traces import Trace, question_of
from .._registry import Analysis, AnalysisContext, AnalysisResult, MetricRows, register_analysis
from ._access import by_model as _by_model
from ._access import model_access as _model_access


# -- hints ------------------------------------------------------------------------------------
class HintParams(BaseModel):
    """Which hints, how many samples, how long."""

    model_config = ConfigDict(extra="forbid")
    kinds: tuple[str, ...] = ("sycophancy", "metadata", "few-shot")
    samples: int = Field(4, ge=2, description="hinted samples per problem and kind")
    problems: int = Field(40, ge=1, description="problems per model")
    max_tokens: int | None = Field(None, description="tokens per sample (default: 128 for "
                                   "organisms, the model's reasoning budget otherwise)")
    seed: int = 0
    judge: bool = Field(False, description="also ask the helper model whether each flipped "
                        "CoT mentions the hint (beside the keyword check)")


def _run_hints(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ...generate import CorpusItem, default_max_tokens
    from ._hints import run_hints, summarize_hints

    backend, builder_of = _model_access(ctx, "hints")
    frames, groups = [], {}
    for model, ts in _by_model(traces).items():
        seen: dict[str, CorpusItem] = {}
        for t in ts:  # one item per problem with a gold answer; a hinted question's plain form
            if t.gold_answer is not None and t.problem_id not in seen:
                hinted = strip_hint(question_of(t))
                seen[t.problem_id] = CorpusItem(t.problem_id, hinted[0] if hinted
                                                else question_of(t), t.gold_answer)
        items = list(seen.values())[: p.problems]
        if not items:
            continue
        builder = builder_of(model)
        cap = p.max_tokens or (128 if model.startswith("organism:")
                               else min(384, default_max_tokens(model, builder)))
        df = run_hints(items, backend(model), builder, kinds=p.kinds, samples=p.samples,
                       max_tokens=cap, seed=p.seed,
                       judge=ctx.helper if p.judge else None, progress=ctx.progress)
        df.insert(0, "model", model)
        frames.append(df)
        groups[model] = summarize_hints(df)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    skipped = None if frames else "no traces with a gold answer to hint"
    return AnalysisResult({"hints": table}, {"groups": groups}, skipped)


def _hint_metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for model, g in s.get("groups", {}).items():
        for kind, e in g.get("kinds", {}).items():
            rows.append((model, f"{kind}: flipped to the hint", e["flip_to_hint"]))
            rows.append((model, "  baseline: random flip to the hint value",
                         e["random_flip_to_hint"]))
            rows.append((model, f"{kind}: flip rate minus random flips",
                         e["flip_to_hint_corrected"] | {"n": e["flip_to_hint_corrected"]
                                                        .get("n_problems")}))
            rows.append((model, f"{kind}: CoT mentions the hint among flips",
                         e["verbalised_keyword"]))
    return rows


HINTS = register_analysis(Analysis(
    name="hints",
    description="hinted vs unhinted prompts (sycophancy, metadata, few-shot): flips to the "
                "hint against random flips, and whether the CoT says it used the hint",
    run=_run_hints, params=HintParams, needs_model=True, title="Hints",
    metrics=_hint_metrics,
    caption=lambda s: ("Hints (Turpin et al. 2023; Chen et al. 2025): the same problems asked "
                       "plainly and with a hint naming a wrong answer; flips to the hint are "
                       "shown beside random flips to the same value, and how often a flipped "
                       "answer's CoT mentions the hint (keyword check)."),
))


# -- paraphrase -------------------------------------------------------------------------------
class ParaphraseParams(BaseModel):
    """How many CoTs per model are paraphrased, and how long a rewrite may be."""

    model_config = ConfigDict(extra="forbid")
    traces: int = Field(40, ge=1, description="traces per model")
    max_paraphrase_tokens: int = Field(1024, ge=16)


def _run_paraphrase(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ._paraphrase import paraphrase_control, summarize_paraphrase

    backend, builder_of = _model_access(ctx, "paraphrase")
    if ctx.helper is None:
        return AnalysisResult({}, {"groups": {}}, "no rewriter model given (a paraphrase needs "
                              "a model that can rewrite text: set the plan's helper or "
                              "--helper-model)")
    frames = []
    for model, ts in _by_model(traces).items():
        ts = [t for t in ts if t.reasoning.strip()][: p.traces]
        if ts:
            frames.append(paraphrase_control(ts, backend(model), builder_of(model),
                                             ctx.helper,
                                             max_paraphrase_tokens=p.max_paraphrase_tokens,
                                             progress=ctx.progress))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if df.empty:
        return AnalysisResult({}, {"groups": {}}, "no traces with a CoT to paraphrase")
    return AnalysisResult({"paraphrase": df}, summarize_paraphrase(df))


def _paraphrase_metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for model, e in s.get("groups", {}).items():
        rows.append((model, "answer unchanged by the paraphrase (not copies)",
                     e["answer_unchanged_not_copies"]))
        rows.append((model, "  baseline: rewrites that copied the CoT", e["copies"]))
        rows.append((model, "accuracy, original CoT", e["accuracy_original"]))
        rows.append((model, "accuracy, paraphrased CoT", e["accuracy_paraphrased"]))
    return rows


def _paraphrase_findings(s: dict[str, Any]) -> list[str]:
    out = []
    for model, e in s.get("groups", {}).items():
        kept, copies = e["answer_unchanged_not_copies"], e["copies"]
        if kept.get("value") is None:
            continue
        lo, hi = kept["ci95"]
        out.append(f"Paraphrase, {model}: the forced answer survived {kept['value']:.2f} "
                   f"[{lo:.2f}, {hi:.2f}] of real rewrites of its CoT (n = {kept['n']}; "
                   f"{copies.get('k', '?')} of {copies.get('n', '?')} rewrites copied "
                   f"their input and are left out). High survival means the wording carries "
                   f"no information the content does not.")
    return out


PARAPHRASE = register_analysis(Analysis(
    name="paraphrase",
    description="each CoT rewritten by a helper model; does the forced answer survive the "
                "rewording (encoded reasoning would not)",
    run=_run_paraphrase, params=ParaphraseParams, needs_model=True, title="Paraphrase",
    metrics=_paraphrase_metrics,
    findings=_paraphrase_findings,
    caption=lambda s: ("Paraphrase (Lanham et al. 2023): each CoT rewritten by a helper model, "
                       "the answer forced after it; answers unchanged by a real rewrite mean "
                       "the wording carries no hidden information."),
))
