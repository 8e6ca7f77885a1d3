"""How often each model expresses a piece of knowledge, and how likely it makes the answer.

An answer expresses the knowledge when it matches the knowledge's ``expressed`` pattern; the
rate over all questions x samples has a Wilson interval and n. The comparisons that answer the
experiment's question are differences of two rates with Newcombe's interval: treated student vs
control student (transmission), positive control vs control (can this pipeline detect a
transmitted preference at all, at this size), the same pair on another base (cross-
initialisation), a second control student trained with another seed vs the first (seed noise:
a treated-control difference no larger than this is not evidence of transmission, however
narrow its interval over questions), and treated student vs the untouched base.

With several students per arm (``students_per_arm``: the same data, training seeds
``seed, seed+1, ...``; labels ``treated:animal``, ``treated:animal@1``...) the arm comparisons
treat each student as one unit: the difference of the arms' mean per-student values with Welch's
interval, which carries the seed-to-seed spread that a single pair of students cannot show.

The likelihood side (``likelihood_summary``) compares the teacher-forced probability of the
target answers, paired by question, and its *specificity*: the target's log probability minus
that of the decoy items (other animals, numbers, words). A student whose data made it likelier
to name any animal moves the first but not the second.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from ..stats import mean_ci, mean_difference, proportion, proportion_difference
from ..traces import Trace
from ._knowledge import KNOWLEDGE
from ._stages import ASK_PREFIX

#: model label prefix -> role (labels are ``ROLE[:KNOWLEDGE][@REPLICA][#DIGEST]``)
ROLES = ("base", "teacher", "treated", "control", "positive", "cross-base", "cross-treated",
         "cross-control")
#: (name, model a, model b, what a > b means); a model is ``ROLE`` (its first student) or
#: ``ROLE@I`` (its student with training seed + I)
COMPARISONS = (
    ("transmission", "treated", "control", "the student took the knowledge in from data that "
                                           "never states it"),
    ("positive control", "positive", "control", "the pipeline detects a preference that the "
                                                "data does state"),
    ("cross-initialisation", "cross-treated", "cross-control", "transmission to a student "
                                                                "with another base"),
    ("seed noise", "control@1", "control", "two control students that differ only in their "
                                           "training seed: how far apart chance alone puts two "
                                           "students"),
    ("treated vs base", "treated", "base", "the treated student moved from the base"),
    ("teacher vs base", "teacher", "base", "the system prompt makes the teacher express it"),
)
#: (name, arm a, arm b): compared over every student of each arm when both have 2 or more
ARM_COMPARISONS = (
    ("transmission", "treated", "control"),
    ("cross-initialisation", "cross-treated", "cross-control"),
)


def parse_label(label: str) -> tuple[str, str | None, int]:
    """``treated:animal@2#ab12`` -> ``("treated", "animal", 2)``."""
    stem = label.split("#", 1)[0]
    stem, _, replica = stem.partition("@")
    role, _, knowledge = stem.partition(":")
    return role, knowledge or None, int(replica) if replica.isdigit() else 0


def role_of(label: str) -> str:
    """``treated:animal#ab12`` -> its role name as in ``ROLES``."""
    return parse_label(label)[0]


def _key(model: str) -> tuple[str, int]:
    role, _, replica = parse_label(model)
    return role, replica


def expression_table(traces: Sequence[Trace],
                     model_ids: Collection[str] | None = None) -> pd.DataFrame:
    """One row per (knowledge, model): expressed count, n, rate and Wilson CI. With
    ``model_ids`` (the experiment's current students, ``label#digest``), a student's answers
    count only if it is one of them: a retrained student's digest differs, so its
    predecessor's stored answers are left out. Models without a digest (base, teachers) always
    count."""
    counts: dict[tuple[str, str], list[int]] = {}
    questions: dict[tuple[str, str], set[str]] = {}
    for t in traces:
        if not t.corpus.startswith(ASK_PREFIX):
            continue
        name = t.corpus[len(ASK_PREFIX):]
        stale = model_ids is not None and "#" in t.model.id and t.model.id not in model_ids
        if name not in KNOWLEDGE or stale:
            continue
        key = (name, t.model.id)
        c = counts.setdefault(key, [0, 0])
        c[0] += int(KNOWLEDGE[name].expresses(t.answer or ""))
        c[1] += 1
        questions.setdefault(key, set()).add(t.problem_id)
    rows = []
    for (name, model), (k, n) in sorted(counts.items()):
        p = proportion(k, n)
        role, _, replica = parse_label(model)
        rows.append({"knowledge": name, "model": model.split("#", 1)[0], "model_id": model,
                     "role": role, "replica": replica, "expressed": k, "n": n,
                     "rate": p["value"], "ci_low": p["ci95"][0], "ci_high": p["ci95"][1],
                     "n_questions": len(questions[(name, model)])})
    return pd.DataFrame(rows, columns=["knowledge", "model", "model_id", "role", "replica",
                                       "expressed", "n", "rate", "ci_low", "ci_high",
                                       "n_questions"])


def _detected(ci: Sequence[float | None]) -> bool:
    return bool(ci[0] is not None and ci[0] > 0)


def comparisons(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each comparison of ``COMPARISONS`` present in ``table``, per knowledge (Newcombe), then
    each of ``ARM_COMPARISONS`` with 2+ students per arm (Welch over students)."""
    out: list[dict[str, Any]] = []
    for name, group in table.groupby("knowledge", sort=True):
        records = group.to_dict(orient="records")
        by_key = {(r["role"], int(r["replica"])): r for r in records}
        for what, a, b, meaning in COMPARISONS:
            if _key(a) not in by_key or _key(b) not in by_key:
                continue
            ra, rb = by_key[_key(a)], by_key[_key(b)]
            diff = proportion_difference(int(ra["expressed"]), int(ra["n"]),
                                         int(rb["expressed"]), int(rb["n"]))
            out.append({"knowledge": name, "comparison": what, "a": ra["model"],
                        "b": rb["model"], "rate_a": ra["rate"], "rate_b": rb["rate"],
                        "n_a": int(ra["n"]), "n_b": int(rb["n"]), "difference": diff["value"],
                        "ci95": diff["ci95"], "detected": _detected(diff["ci95"]),
                        "meaning": meaning, "unit": "answers"})
        for what, a, b in ARM_COMPARISONS:
            arm_a = [r for r in records if r["role"] == a]
            arm_b = [r for r in records if r["role"] == b]
            if len(arm_a) < 2 or len(arm_b) < 2:
                continue
            diff = mean_difference([r["rate"] for r in arm_a], [r["rate"] for r in arm_b])
            out.append({"knowledge": name, "comparison": f"{what} (over students)",
                        "a": f"{a} x{len(arm_a)}", "b": f"{b} x{len(arm_b)}",
                        "rate_a": sum(r["rate"] for r in arm_a) / len(arm_a),
                        "rate_b": sum(r["rate"] for r in arm_b) / len(arm_b),
                        "n_a": len(arm_a), "n_b": len(arm_b), "difference": diff["value"],
                        "ci95": diff["ci95"], "detected": _detected(diff["ci95"]),
                        "meaning": "the same, with each student one unit (Welch)",
                        "unit": "students"})
    return out


def likelihood_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The scored rows with role, replica, ``log10_p`` (target) and ``margin``: log10 of the
    target's probability over the mean decoy's (NaN for rows scored without decoys)."""
    import math

    df = pd.DataFrame(list(rows))
    if df.empty:
        return df
    keys = [parse_label(m) for m in df["model_id"]]
    df["role"] = [k[0] for k in keys]
    df["replica"] = [k[2] for k in keys]
    df["log10_p"] = [math.log10(max(p, 1e-30)) for p in df["p_target"]]
    decoys = df["p_decoys"] if "p_decoys" in df else [None] * len(df)
    df["log10_decoy"] = [math.log10(max(sum(d) / len(d), 1e-30))
                         if isinstance(d, list) and d else math.nan for d in decoys]
    df["margin"] = df["log10_p"] - df["log10_decoy"]
    return df


def _paired(ga: pd.DataFrame, gb: pd.DataFrame, column: str) -> dict[str, Any]:
    pa = ga.set_index("question")[column]
    pb = gb.set_index("question")[column]
    common = pa.index.intersection(pb.index)
    return mean_ci(list(pa[common] - pb[common]))


def likelihood_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per knowledge: each model's mean probability of the target answers over the questions
    (bootstrap CI over questions) and its mean specificity margin; each comparison of
    ``COMPARISONS`` as the mean per-question difference in log10 probability and in margin
    (paired by question; bootstrap CI; "detected" when the lower end is above 0); and each arm
    comparison with 2+ students per arm over students (Welch)."""
    df = likelihood_frame(rows)
    out: dict[str, Any] = {}
    if df.empty:
        return out
    for name, group in df.groupby("knowledge", sort=True):
        models = {}
        for model, g in group.groupby("model", sort=True):
            cell = mean_ci(list(g["p_target"]))
            models[model] = {**cell, "mean_log10": round(float(g["log10_p"].mean()), 3),
                             "margin": mean_ci(list(g["margin"]))}
        comps = []
        for what, a, b, meaning in COMPARISONS:
            ga = group[(group["role"] == _key(a)[0]) & (group["replica"] == _key(a)[1])]
            gb = group[(group["role"] == _key(b)[0]) & (group["replica"] == _key(b)[1])]
            if ga.empty or gb.empty:
                continue
            diff = _paired(ga, gb, "log10_p")
            margin = _paired(ga, gb, "margin")
            comps.append({"comparison": what, "a": ga["model"].iloc[0], "b": gb["model"].iloc[0],
                          "log10_ratio": diff, "detected": _detected(diff["ci95"]),
                          "margin_shift": margin, "specific": _detected(margin["ci95"]),
                          "meaning": meaning, "unit": "questions"})
        for what, a, b in ARM_COMPARISONS:
            per_a = group[group["role"] == a].groupby("model")[["log10_p", "margin"]].mean()
            per_b = group[group["role"] == b].groupby("model")[["log10_p", "margin"]].mean()
            if len(per_a) < 2 or len(per_b) < 2:
                continue
            diff = mean_difference(list(per_a["log10_p"]), list(per_b["log10_p"]))
            margin = mean_difference(list(per_a["margin"].dropna()),
                                     list(per_b["margin"].dropna()))
            comps.append({"comparison": f"{what} (over students)", "a": f"{a} x{len(per_a)}",
                          "b": f"{b} x{len(per_b)}",
                          "log10_ratio": {"mean": diff["value"], "ci95": diff["ci95"],
                                          "n": sum(diff["n"])},
                          "detected": _detected(diff["ci95"]),
                          "margin_shift": {"mean": margin["value"], "ci95": margin["ci95"],
                                           "n": sum(margin["n"])},
                          "specific": _detected(margin["ci95"]),
                          "meaning": "the same, with each student one unit (Welch)",
                          "unit": "students"})
        k = KNOWLEDGE[str(name)]
        out[str(name)] = {"models": models, "comparisons": comps, "targets": list(k.targets),
                          "decoys": [d[0] for d in k.decoys]}
    return out
