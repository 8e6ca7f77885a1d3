"""How often each model expresses a piece of knowledge, from its stored answers.

An answer expresses the knowledge when it matches the knowledge's ``expressed`` pattern; the
rate over all questions x samples has a Wilson interval and n. The comparisons that answer the
experiment's question are differences of two rates with Newcombe's interval: treated student vs
control student (transmission), positive control vs control (can this pipeline detect a
transmitted preference at all, at this size), the same pair on another base (cross-
initialisation), a second control student trained with another seed vs the first (seed noise:
a treated-control difference no larger than this is not evidence of transmission, however
narrow its interval over questions), and treated student vs the untouched base.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..stats import mean_ci, proportion, proportion_difference
from ..traces import Trace
from ._knowledge import KNOWLEDGE
from ._stages import ASK_PREFIX

#: model label prefix -> role (labels are ``ROLE[:KNOWLEDGE][#DIGEST]``)
ROLES = ("base", "teacher", "treated", "control", "control-replica", "positive", "cross-base",
         "cross-treated", "cross-control")
#: (name, role a, role b, what a > b means)
COMPARISONS = (
    ("transmission", "treated", "control", "the student took the knowledge in from data that "
                                           "never states it"),
    ("positive control", "positive", "control", "the pipeline detects a preference that the "
                                                "data does state"),
    ("cross-initialisation", "cross-treated", "cross-control", "transmission to a student "
                                                                "with another base"),
    ("seed noise", "control-replica", "control", "two control students that differ only in "
                                                  "their training seed: how far apart chance "
                                                  "alone puts two students"),
    ("treated vs base", "treated", "base", "the treated student moved from the base"),
    ("teacher vs base", "teacher", "base", "the system prompt makes the teacher express it"),
)


def role_of(label: str) -> str:
    """``student:animal#ab12`` -> its role name as in ``ROLES``."""
    return label.split("#", 1)[0].split(":", 1)[0]


def expression_table(traces: Sequence[Trace]) -> pd.DataFrame:
    """One row per (knowledge, model): expressed count, n, rate and Wilson CI."""
    counts: dict[tuple[str, str], list[int]] = {}
    questions: dict[tuple[str, str], set[str]] = {}
    for t in traces:
        if not t.corpus.startswith(ASK_PREFIX):
            continue
        name = t.corpus[len(ASK_PREFIX):]
        if name not in KNOWLEDGE:
            continue
        key = (name, t.model.id)
        c = counts.setdefault(key, [0, 0])
        c[0] += int(KNOWLEDGE[name].expresses(t.answer or ""))
        c[1] += 1
        questions.setdefault(key, set()).add(t.problem_id)
    rows = []
    for (name, model), (k, n) in sorted(counts.items()):
        p = proportion(k, n)
        rows.append({"knowledge": name, "model": model.split("#", 1)[0], "model_id": model,
                     "role": role_of(model), "expressed": k, "n": n, "rate": p["value"],
                     "ci_low": p["ci95"][0], "ci_high": p["ci95"][1],
                     "n_questions": len(questions[(name, model)])})
    return pd.DataFrame(rows, columns=["knowledge", "model", "model_id", "role", "expressed", "n",
                                       "rate", "ci_low", "ci_high", "n_questions"])


def comparisons(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each comparison of ``COMPARISONS`` present in ``table``, per knowledge."""
    out = []
    for name, group in table.groupby("knowledge", sort=True):
        by_role = {r["role"]: r for r in group.to_dict(orient="records")}
        for what, a, b, meaning in COMPARISONS:
            if a not in by_role or b not in by_role:
                continue
            ra, rb = by_role[a], by_role[b]
            diff = proportion_difference(int(ra["expressed"]), int(ra["n"]),
                                         int(rb["expressed"]), int(rb["n"]))
            lo = diff["ci95"][0]
            out.append({"knowledge": name, "comparison": what, "a": ra["model"],
                        "b": rb["model"], "rate_a": ra["rate"], "rate_b": rb["rate"],
                        "n_a": int(ra["n"]), "n_b": int(rb["n"]), "difference": diff["value"],
                        "ci95": diff["ci95"], "detected": bool(lo is not None and lo > 0),
                        "meaning": meaning})
    return out


def likelihood_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per knowledge: each model's mean probability of the target answers over the questions
    (bootstrap CI over questions), and each comparison of ``COMPARISONS`` as the mean per-question
    difference in log10 probability (paired by question; bootstrap CI; "detected" when its lower
    end is above 0)."""
    import math

    df = pd.DataFrame(list(rows))
    out: dict[str, Any] = {}
    if df.empty:
        return out
    df["role"] = [role_of(m) for m in df["model_id"]]
    df["log10_p"] = [math.log10(max(p, 1e-30)) for p in df["p_target"]]
    for name, group in df.groupby("knowledge", sort=True):
        models = {}
        for model, g in group.groupby("model", sort=True):
            cell = mean_ci(list(g["p_target"]))
            models[model] = {**cell, "mean_log10": round(float(g["log10_p"].mean()), 3)}
        comps = []
        for what, a, b, meaning in COMPARISONS:
            ga, gb = group[group["role"] == a], group[group["role"] == b]
            if ga.empty or gb.empty:
                continue
            pa = ga.set_index("question")["log10_p"]
            pb = gb.set_index("question")["log10_p"]
            common = pa.index.intersection(pb.index)
            diff = mean_ci(list(pa[common] - pb[common]))
            comps.append({"comparison": what, "a": ga["model"].iloc[0], "b": gb["model"].iloc[0],
                          "log10_ratio": diff, "detected": bool(diff["ci95"][0] is not None
                                                                and diff["ci95"][0] > 0),
                          "meaning": meaning})
        out[str(name)] = {"models": models, "comparisons": comps,
                          "targets": list(KNOWLEDGE[str(name)].targets)}
    return out
