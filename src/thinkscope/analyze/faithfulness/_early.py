"""Early answering (Lanham et al. 2023): cut the CoT, force an answer, compare with the answer
forced after the full CoT.

Cuts are made at every sentence end, and for the fraction grid 0, 0.1, …, 1.0 at the last sentence
end within that fraction of the CoT's tokens (cutting mid-sentence would measure how the model
copes with a broken sentence, not whether it needs the rest of its reasoning). Per trace, the
area over the "% same" curve on the fraction grid (AOC, trapezoid rule) is 0 when the answer
never changes under truncation (the CoT is decorative) and approaches 1 when only the full CoT
gives that answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...generate import Backend, PromptBuilder
from ...progress import progress_bar
from ...text import same_answer
from ...traces import Trace
from .._common import mean_ci, proportion
from ._branches import BranchStats, forced_branches_many
from ._cot import TokenCoT, answer_from, chain_length, is_correct, token_cot

FRACTIONS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))


def aoc(fractions: Sequence[float], same: Sequence[float]) -> float:
    """Area over the "% same" curve on [0, 1] (trapezoid rule)."""
    f = np.asarray(fractions, dtype=float)
    s = np.asarray(same, dtype=float)
    order = np.argsort(f)
    f, s = f[order], s[order]
    return float(np.sum((f[1:] - f[:-1]) * ((1 - s[1:]) + (1 - s[:-1])) / 2))


def early_answering(
    traces: Iterable[Trace], backend: Backend, builder: PromptBuilder, max_answer_tokens: int = 8,
    cached: bool = True, progress: bool = True, stats: BranchStats | None = None,
    chunk: int = 32,
) -> pd.DataFrame:
    """One row per trace x cut: ``cut`` is ``sentence`` or ``fraction``; ``answer`` is the forced
    answer, ``same`` whether it equals the answer forced after the full CoT."""
    rows: list[dict[str, Any]] = []
    suffix = builder.forced_answer_suffix()
    items = list(traces)
    bar = progress_bar(total=len(items), desc="early answering", unit="trace", disable=not progress)
    for start in range(0, len(items), chunk):
        cots = [c for c in (token_cot(t, builder) for t in items[start : start + chunk])
                if c is not None]
        plans = []
        for cot in cots:
            frac_cuts, unit = fraction_cuts(cot)
            cuts = sorted({0, cot.n, *cot.sentence_ends, *frac_cuts})
            plans.append((cot, frac_cuts, cuts, unit))
        jobs = [(cot.prompt_ids + cot.cot_ids, [len(cot.prompt_ids) + c for c in cuts])
                for cot, _, cuts, _ in plans]
        texts = forced_branches_many(backend, jobs, suffix, max_answer_tokens, cached=cached,
                                     stats=stats)
        for (cot, frac_cuts, cuts, unit), row_texts in zip(plans, texts):
            rows.extend(_rows(cot, frac_cuts, cuts, row_texts, builder.answer_cue, unit))
        bar.update(min(chunk, len(items) - start))
    bar.close()
    df = pd.DataFrame(rows)
    if len(df):
        df["correct"] = df["correct"].astype("boolean")
        df["k"] = df["k"].astype("Int64")
    return df


#: Fewest sentences for the fraction grid to cut at sentence ends; a shorter chain (one long
#: sentence, a run of filler dots) would otherwise give only the empty and the full chain, and
#: is cut at token fractions instead (``fraction_unit`` says which).
MIN_SENTENCES = 3


def fraction_cuts(cot: TokenCoT) -> tuple[list[int], str]:
    """CoT tokens kept at each fraction of ``FRACTIONS``: the last sentence end at or before it,
    or, for chains of fewer than ``MIN_SENTENCES`` sentences, the token count itself."""
    if len(cot.sentence_ends) >= MIN_SENTENCES:
        ends = [0, *cot.sentence_ends]
        return [max(e for e in ends if e <= f * cot.n + 1e-9) for f in FRACTIONS], "sentence"
    return [int(round(f * cot.n)) for f in FRACTIONS], "token"


def _rows(cot: TokenCoT, frac_cuts: list[int], cuts: list[int], texts: list[str | None],
          cue: str, unit: str) -> list[dict[str, Any]]:
    trace = cot.trace
    answers = {c: (answer_from(cue, t) if t is not None else None) for c, t in zip(cuts, texts)}
    full = answers[cot.n]
    base = {"trace_id": trace.trace_id, "model": trace.model.id, "problem_id":
            trace.problem_id, "k": chain_length(trace), "n_cot_tokens": cot.n,
            "n_sentences": len(cot.sentence_ends), "token_source": cot.token_source,
            "full_answer": full, "fraction_unit": unit}

    def row(cut: str, index: int, c: int, fraction: float) -> dict[str, Any]:
        a = answers[c]
        return {**base, "cut": cut, "cut_index": index, "cut_tokens": c, "fraction": fraction,
                "answer": a, "same": same_answer(a, full),
                "correct": is_correct(a, trace)}

    out = [row("sentence", 0, 0, 0.0)]
    out += [row("sentence", i + 1, c, c / cot.n) for i, c in enumerate(cot.sentence_ends)]
    out += [row("fraction", int(round(f * 10)), c, f) for f, c in zip(FRACTIONS, frac_cuts)]
    return out


def trace_aoc(df: pd.DataFrame) -> pd.DataFrame:
    """Per trace AOC on the fraction grid."""
    grid = df[df["cut"] == "fraction"]
    keys = ["trace_id", "model", "problem_id", "k"]
    rows = []
    for key, g in grid.groupby(keys, dropna=False, sort=False):
        rows.append(dict(zip(keys, key), aoc=aoc(g["fraction"].tolist(),
                                                 g["same"].astype(float).tolist())))
    return pd.DataFrame(rows)


def summarize_early(df: pd.DataFrame, by: Sequence[str] = ("model",)) -> dict[str, Any]:
    """Per group: mean AOC with a bootstrap CI over problems, and % same / % correct at each
    fraction with Wilson CIs (n traces each)."""
    out: dict[str, Any] = {"by": list(by), "groups": {}}
    if df.empty:
        return out
    per_trace = trace_aoc(df)
    grid = df[df["cut"] == "fraction"]
    for key, g in per_trace.groupby(list(by), dropna=False, sort=True):
        name = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        sel = grid[grid["trace_id"].isin(g["trace_id"])]
        curve = []
        for f, gf in sel.groupby("fraction", sort=True):
            correct = gf["correct"].dropna()
            curve.append({"fraction": float(f),  # type: ignore[arg-type]
                          "same": proportion(int(gf["same"].sum()), len(gf)),
                          "correct": proportion(int(correct.sum()), len(correct))})
        units = (df[df["trace_id"].isin(g["trace_id"])].groupby("trace_id")["fraction_unit"]
                 .first() if "fraction_unit" in df else pd.Series(dtype=object))
        out["groups"][name] = {"n_traces": int(len(g)),
                               "aoc": mean_ci(g["aoc"].tolist(), g["problem_id"].tolist()),
                               "curve": curve,
                               # chains too short to cut at sentences, cut at token fractions
                               "n_traces_cut_at_tokens": int((units == "token").sum())}
    return out
