"""Resampling and counterfactual sentence importance (Bogdan et al. 2025, Thought Anchors).

For sentence i of a CoT, continuations are resampled (``samples`` each, temperature 1) from the
prefix that ends just before sentence i and from the prefix that ends just after it — prefixes cut
at token positions, so a sentence is removed by its position, never by string replacement (which
would remove every copy). Resampling importance = accuracy with i − accuracy without i, and the
KL divergence between the two answer distributions (add-one smoothed over the answers seen).
The counterfactual variant keeps only the resamples without i whose first new sentence differs in
meaning from sentence i (``same_meaning``), i.e. where the model really took another route.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ...generate import Backend, BackendError, GenerationRequest, PromptBuilder, Sampling
from ...progress import progress_bar
from ...text import same_answer, segment_text
from ...traces import Trace
from ._cot import TokenCoT, chain_length, final_answer, is_correct, token_cot
from ._similarity import same_meaning, similarity_method


def answer_kl(p_answers: Sequence[str | None], q_answers: Sequence[str | None]) -> float:
    """KL(P || Q) between two empirical answer distributions, add-one smoothed over the union
    of answers seen (``None`` = no answer counts as an outcome). Answers that grade as equal
    (``18``, ``$18``, ``18.0``) are one outcome."""
    reps: list[str] = []

    def outcome(a: str | None) -> str:
        if a is None:
            return "None"
        for r in reps:
            if same_answer(a, r):
                return r
        reps.append(a)
        return a

    p_out, q_out = [outcome(a) for a in p_answers], [outcome(a) for a in q_answers]
    support = sorted({*p_out, *q_out})
    if not support or not p_answers or not q_answers:
        return float("nan")
    p, q = Counter(p_out), Counter(q_out)
    zp, zq = len(p_answers) + len(support), len(q_answers) + len(support)
    return float(sum(((p[s] + 1) / zp) * math.log(((p[s] + 1) / zp) / ((q[s] + 1) / zq))
                     for s in support))


def _first_sentence(text: str) -> str:
    segs = [s.stripped for s in segment_text(text, "sentence", line_breaks=True) if s.stripped]
    return segs[0] if segs else ""


def sentence_importance(
    traces: Iterable[Trace], backend: Backend, builder: PromptBuilder, samples: int = 8,
    temperature: float = 1.0, max_tokens: int = 256, seed: int = 0, progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (resamples: one row per trace x prefix x sample, importance: one row per trace x
    sentence)."""
    res_rows: list[dict[str, Any]] = []
    imp_rows: list[dict[str, Any]] = []
    sampling = Sampling(temperature=temperature, max_tokens=max_tokens, stop=tuple(builder.stop))
    for ti, trace in enumerate(progress_bar(list(traces), desc="importance", unit="trace",
                                    disable=not progress)):
        cot = token_cot(trace, builder)
        if cot is None:
            continue
        cuts = [0, *cot.sentence_ends]
        reqs = [GenerationRequest(prompt_ids=cot.prompt_ids + cot.cot_ids[:c], n=samples,
                                  sampling=sampling, seed=seed * 1_000_003 + ti * 1009 + j)
                for j, c in enumerate(cuts)]
        answers: list[list[str | None]] = []
        firsts: list[list[str]] = []
        for j, res in enumerate(backend.generate(reqs)):
            got: list[str | None] = []
            first: list[str] = []
            if not isinstance(res, BackendError):
                for s, comp in enumerate(res):
                    a = final_answer(builder, comp.text)
                    got.append(a)
                    first.append(_first_sentence(comp.text.split("</think>")[0]))
                    res_rows.append({"trace_id": trace.trace_id, "model": trace.model.id,
                                     "prefix_sentences": j, "cut_tokens": cuts[j], "sample": s,
                                     "answer": a, "correct": is_correct(a, trace),
                                     "first_sentence": first[-1]})
            answers.append(got)
            firsts.append(first)
        imp_rows.extend(_importance_rows(cot, cuts, answers, firsts))
    imp = pd.DataFrame(imp_rows)
    if len(imp):
        imp["k"] = imp["k"].astype("Int64")
    return pd.DataFrame(res_rows), imp


def _acc(trace: Trace, answers: Sequence[str | None]) -> float:
    graded = [is_correct(a, trace) for a in answers]
    vals = [bool(v) for v in graded if v is not None]
    return sum(vals) / len(vals) if vals else float("nan")


def _importance_rows(cot: TokenCoT, cuts: list[int], answers: list[list[str | None]],
                     firsts: list[list[str]]) -> list[dict[str, Any]]:
    trace = cot.trace
    text = trace.reasoning
    rows = []
    for i in range(len(cuts) - 1):
        start = cot.char_ends[cuts[i] - 1] if cuts[i] > 0 else 0
        end = cot.char_ends[cuts[i + 1] - 1]
        sentence = text[start:end].strip()
        without, with_i = answers[i], answers[i + 1]
        differ = [not s for s in same_meaning(sentence, firsts[i])] if firsts[i] else []
        cf = [a for a, d in zip(without, differ) if d]
        acc_with, acc_without = _acc(trace, with_i), _acc(trace, without)
        rows.append({
            "trace_id": trace.trace_id, "model": trace.model.id, "problem_id": trace.problem_id,
            "k": chain_length(trace), "sentence_index": i, "n_sentences": len(cuts) - 1,
            "text": sentence, "n_samples": len(with_i),
            "accuracy_with": acc_with, "accuracy_without": acc_without,
            "resampling_importance_accuracy": acc_with - acc_without,
            "resampling_importance_kl": answer_kl(with_i, without),
            "n_counterfactual": len(cf),
            "counterfactual_importance_accuracy": acc_with - _acc(trace, cf) if cf
            else float("nan"),
            "counterfactual_importance_kl": answer_kl(with_i, cf) if cf else float("nan"),
            "similarity": similarity_method(),
        })
    return rows


def summarize_importance(imp: pd.DataFrame, by: str = "model") -> dict[str, Any]:
    """Per group and sentence index: mean resampling/counterfactual importance with bootstrap
    CIs over problems (n traces each)."""
    from .._common import mean_ci

    out: dict[str, Any] = {"by": by, "similarity": similarity_method(), "groups": {}}
    if imp.empty:
        return out
    for name, g in imp.groupby(by, sort=True):
        cells = []
        for i, gi in g.groupby("sentence_index", sort=True):
            cells.append({"sentence_index": int(i),  # type: ignore[arg-type]
                          **{m: mean_ci(gi[m].tolist(), gi["problem_id"].tolist())
                             for m in ("resampling_importance_accuracy",
                                       "resampling_importance_kl",
                                       "counterfactual_importance_accuracy",
                                       "counterfactual_importance_kl")}})
        out["groups"][str(name)] = {"n_traces": int(g["trace_id"].nunique()),
                                    "by_sentence": cells}
    return out
