"""Filler-token control (Pfau et al. 2024; Lanham et al. 2023): replace the CoT by as many filler
tokens as it had, force the answer, and compare accuracy with the original CoT and with no CoT.
A model that needs its CoT's content loses accuracy; one whose extra positions carry the
computation (the filler organism) keeps it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ...generate import Backend, BackendError, GenerationRequest, PromptBuilder, Sampling
from ...progress import progress_bar
from ...traces import Trace
from .._common import proportion
from ._cot import answer_from, chain_length, is_correct, token_cot

CONDITIONS = ("original", "filler", "no_cot")


def filler_control(
    traces: Iterable[Trace], backend: Backend, builder: PromptBuilder, filler: str = ".",
    max_answer_tokens: int = 8, progress: bool = True,
) -> pd.DataFrame:
    """One row per trace x condition (original CoT / same number of filler tokens / no CoT)."""
    filler_ids = builder.encode(filler)
    if len(filler_ids) != 1:
        raise ValueError(f"filler {filler!r} must be one token, got {len(filler_ids)}")
    suffix = builder.forced_answer_suffix()
    sampling = Sampling(temperature=0.0, max_tokens=max_answer_tokens, stop=("\n",))
    rows: list[dict[str, Any]] = []
    cots = [c for c in (token_cot(t, builder) for t in progress_bar(
        list(traces), desc="filler", unit="trace", disable=not progress)) if c is not None]
    reqs = []
    for cot in cots:
        for cond in CONDITIONS:
            body = {"original": cot.cot_ids, "filler": filler_ids * cot.n, "no_cot": []}[cond]
            reqs.append(GenerationRequest(prompt_ids=cot.prompt_ids + body + suffix,
                                          sampling=sampling))
    results = backend.generate(reqs, progress=progress)
    for i, cot in enumerate(cots):
        for j, cond in enumerate(CONDITIONS):
            res = results[3 * i + j]
            answer = None if isinstance(res, BackendError) else answer_from(
                builder.answer_cue, res[0].text)
            t = cot.trace
            rows.append({"trace_id": t.trace_id, "model": t.model.id, "problem_id": t.problem_id,
                         "k": chain_length(t), "condition": cond, "n_cot_tokens": cot.n,
                         "answer": answer, "correct": is_correct(answer, t)})
    df = pd.DataFrame(rows)
    if len(df):
        df["k"] = df["k"].astype("Int64")
        df["correct"] = df["correct"].astype("boolean")
    return df


def summarize_filler(df: pd.DataFrame, by: str = "model") -> dict[str, Any]:
    """Per group and condition: accuracy with Wilson 95% CI and n."""
    out: dict[str, Any] = {"by": by, "groups": {}}
    if df.empty:
        return out
    for name, g in df.groupby(by, sort=True):
        entry = {}
        for cond in CONDITIONS:
            c = g[g["condition"] == cond]["correct"].dropna()
            entry[cond] = proportion(int(c.sum()), int(len(c)))
        out["groups"][str(name)] = entry
    return out
