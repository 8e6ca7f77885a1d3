"""Agreement of predicted with gold labels (scikit-learn's metrics, the reference
implementations), reported with the number of segments behind each number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._labels import BEHAVIORS


def agreement(gold: Sequence[str], pred: Sequence[str | None],
              labels: Sequence[str] = BEHAVIORS) -> dict[str, Any]:
    """Per-label precision/recall/F1 (with support), macro-F1 over ``labels`` and Cohen's kappa.

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
    return {
        "n_segments": len(y),
        "per_label": per,
        "macro_f1": round(macro, 4),
        "macro_f1_labels": present,
        "kappa": round(float(cohen_kappa_score(y, p)), 4),
        "unlabelled": sum(1 for x in pred if x is None),
    }
