"""Fit the behaviour classifier on gold-labelled traces, with an honest estimate of how well it
transfers: grouped cross-validation (whole traces held out) and leave-one-model-out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ...traces import Trace
from ._agreement import agreement
from ._classifier import BehaviorClassifier
from ._segments import SegmentInput, trace_segments


def gold_segments(traces: Iterable[Trace]) -> tuple[list[SegmentInput], list[str], list[str],
                                                      list[str]]:
    """Segments with a gold label in our vocabulary, their labels, trace ids and models."""
    segs: list[SegmentInput] = []
    labels: list[str] = []
    groups: list[str] = []
    models: list[str] = []
    for t in traces:
        for s in trace_segments(t, "gold"):
            if s.gold is not None:
                segs.append(s)
                labels.append(s.gold)
                groups.append(t.trace_id)
                models.append(t.model.id)
    return segs, labels, groups, models


def fit_classifier(traces: Iterable[Trace], C: float = 4.0, folds: int = 5,
                   evaluate: bool = True) -> tuple[BehaviorClassifier, dict[str, Any]]:
    """Fit on every gold segment; report grouped-CV and leave-one-model-out agreement."""
    from sklearn.model_selection import GroupKFold

    segs, labels, groups, models = gold_segments(traces)
    if len(set(labels)) < 2:
        raise ValueError("need gold-labelled segments of at least two behaviours to fit "
                         f"(found {len(segs)} labelled segments)")
    y = np.asarray(labels, dtype=object)
    report: dict[str, Any] = {"n_segments": len(segs), "n_traces": len(set(groups)),
                              "models": sorted(set(models)), "C": C}
    if evaluate and len(set(groups)) >= folds:
        pred = np.empty(len(y), dtype=object)
        for tr, te in GroupKFold(folds).split(segs, y, groups):
            clf = BehaviorClassifier(C=C).fit([segs[i] for i in tr], y[tr].tolist())
            pred[te] = clf.predict([segs[i] for i in te])
        report["grouped_cv"] = {"folds": folds,
                                "all": agreement(labels, pred.tolist(), groups=groups)}
        for m in sorted(set(models)):
            idx = [i for i, mm in enumerate(models) if mm == m]
            report["grouped_cv"][m] = agreement([labels[i] for i in idx],
                                                [pred[i] for i in idx],
                                                groups=[groups[i] for i in idx])
        if len(set(models)) > 1:
            lomo: dict[str, Any] = {}
            for m in sorted(set(models)):
                tr_idx = [i for i, mm in enumerate(models) if mm != m]
                te_idx = [i for i, mm in enumerate(models) if mm == m]
                if len({labels[i] for i in tr_idx}) < 2:
                    continue
                clf = BehaviorClassifier(C=C).fit([segs[i] for i in tr_idx],
                                                  [labels[i] for i in tr_idx])
                lomo[m] = agreement([labels[i] for i in te_idx],
                                    clf.predict([segs[i] for i in te_idx]),
                                    groups=[groups[i] for i in te_idx])
                lomo[m]["labels_in_training"] = sorted({labels[i] for i in tr_idx})
            report["leave_one_model_out"] = lomo
    final = BehaviorClassifier(C=C).fit(segs, labels)
    final.meta.update(models=sorted(set(models)), n_traces=len(set(groups)))
    return final, report
