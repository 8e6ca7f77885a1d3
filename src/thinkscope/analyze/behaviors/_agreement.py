"""Agreement of predicted with gold labels (scikit-learn's metrics, the reference
implementations), reported with the number of segments behind each number and, when the
segments' traces are given, 95% bootstrap intervals that resample whole traces (segments of one
trace are not independent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._labels import BEHAVIORS

N_BOOT = 1000


def agreement(gold: Sequence[str], pred: Sequence[str | None],
              labels: Sequence[str] = BEHAVIORS, groups: Sequence[Any] | None = None,
              n_boot: int = N_BOOT, seed: int = 0) -> dict[str, Any]:
    """Per-label precision/recall/F1 (with support), macro-F1 over ``labels`` and Cohen's kappa,
    the confusion counts, and — with ``groups`` (each segment's trace) — bootstrap CIs of every
    F1, macro-F1 and kappa over traces.

    Segments the detector left unlabelled (``None``) count as wrong (label ``"none"``) so a
    detector cannot look better by abstaining.
    """
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support

    y = list(gold)
    p = [x if x is not None else "none" for x in pred]
    if not y:
        return {"n_segments": 0}
    prec, rec, f1, support = precision_recall_fscore_support(
        y, p, labels=list(labels), zero_division=0)
    per = {
        lab: {"precision": round(float(prec[i]), 4), "recall": round(float(rec[i]), 4),
              "f1": round(float(f1[i]), 4), "support": int(support[i]),
              "predicted": int(sum(1 for x in p if x == lab))}
        for i, lab in enumerate(labels)
    }
    present = [lab for lab in labels if per[lab]["support"] > 0]
    macro = float(f1_score(y, p, labels=present, average="macro", zero_division=0)) \
        if present else float("nan")
    # every class seen or asked about; all-zero rows and columns change no metric
    classes = sorted(set(y) | set(p) | set(labels))
    index = {c: i for i, c in enumerate(classes)}
    trace_of = list(groups) if groups is not None else [None] * len(y)
    gid = {g: i for i, g in enumerate(dict.fromkeys(trace_of))}
    per_trace = np.zeros((len(gid), len(classes), len(classes)))
    np.add.at(per_trace, ([gid[g] for g in trace_of], [index[v] for v in y],
                          [index[v] for v in p]), 1)
    out: dict[str, Any] = {
        "n_segments": len(y),
        "per_label": per,
        "macro_f1": round(macro, 4),
        "macro_f1_labels": present,
        "kappa": round(float(cohen_kappa_score(y, p)), 4),
        "unlabelled": sum(1 for x in pred if x is None),
        "confusion": _confusion_dict(per_trace.sum(axis=0), classes),
    }
    if len(gid) > 1:
        out.update(_bootstrap(per_trace, [index[lab] for lab in labels],
                              [index[lab] for lab in present], list(labels), n_boot, seed))
    return out


def _confusion_dict(m: np.ndarray, classes: list[str]) -> dict[str, dict[str, int]]:
    """gold -> predicted -> count, zeros left out."""
    return {classes[i]: {classes[j]: int(m[i, j]) for j in np.flatnonzero(m[i])}
            for i in np.flatnonzero(m.sum(axis=1))}


def _metrics(m: np.ndarray, label_idx: list[int], present_idx: list[int]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label F1, macro-F1 over ``present_idx`` and kappa of a stack of confusion matrices
    (``m[b, gold, pred]``), with scikit-learn's conventions (an undefined ratio counts 0)."""
    tp = np.diagonal(m, axis1=1, axis2=2)
    pred_tot = m.sum(axis=1)
    gold_tot = m.sum(axis=2)
    denom = pred_tot + gold_tot
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp, dtype=float), where=denom > 0)
    n = m.sum(axis=(1, 2)).astype(float)
    po = tp.sum(axis=1) / n
    pe = (pred_tot * gold_tot).sum(axis=1) / n**2
    kappa = np.divide(po - pe, 1 - pe, out=np.zeros_like(po), where=(1 - pe) > 0)
    macro = f1[:, present_idx].mean(axis=1) if present_idx else np.full(len(m), np.nan)
    return f1[:, label_idx], macro, kappa


def _bootstrap(per_trace: np.ndarray, label_idx: list[int], present_idx: list[int],
               labels: list[str], n_boot: int, seed: int) -> dict[str, Any]:
    """Resample whole traces: their confusion matrices summed with multinomial weights."""
    n = len(per_trace)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=n_boot)
    f1, macro, kappa = _metrics(np.einsum("bg,gkl->bkl", weights, per_trace), label_idx,
                                present_idx)

    def ci(v: np.ndarray) -> list[float]:
        return [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]

    return {"ci95": {"f1": {lab: ci(f1[:, i]) for i, lab in enumerate(labels)},
                     "macro_f1": ci(macro), "kappa": ci(kappa)},
            "n_traces": n, "n_boot": n_boot}


def format_agreement(a: dict[str, Any], label: str = "backtracking") -> str:
    """One line: ``label`` F1, macro-F1 and kappa, each with its CI when there is one, and n."""
    if not a.get("n_segments"):
        return "no gold-labelled segments"
    ci = a.get("ci95", {})

    def with_ci(value: float, interval: list[float] | None) -> str:
        return f"{value} {interval}" if interval else f"{value}"

    n = f"n={a['n_segments']} segments" + (f", {a['n_traces']} traces" if "n_traces" in a else "")
    return (f"{label} F1 {with_ci(a['per_label'][label]['f1'], ci.get('f1', {}).get(label))}, "
            f"macro-F1 {with_ci(a['macro_f1'], ci.get('macro_f1'))}, "
            f"kappa {with_ci(a['kappa'], ci.get('kappa'))} ({n})")
