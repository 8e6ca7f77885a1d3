"""How consistent the gold labels are with themselves: segments in different traces whose text
is (nearly) the same, and how often they carry the same label.

A detector that reads a segment's text cannot agree with the gold labels better than the labels
agree across (near-)identical texts, so this is the ceiling to read agreement numbers against.
Labels from an LLM judge that saw the whole trace may differ for identical text on purpose
(context), which a text detector cannot follow either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

_NUM = re.compile(r"\d+(?:[.,]\d+)*")


def label_consistency(texts: Sequence[str], labels: Sequence[str], traces: Sequence[Any],
                      threshold: float = 0.8, label: str = "backtracking") -> dict[str, Any]:
    """Pair each segment with its most similar segment in another trace (cosine of word 1-2-gram
    TF-IDF, numbers folded); over the pairs at least ``threshold`` alike: how often the two gold
    labels agree, Cohen's kappa between them, and ``label``'s F1 when one side predicts the
    other. Reported with the number of segments that have such a twin."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import cohen_kappa_score, f1_score

    docs = [_NUM.sub("0", t.lower()) for t in texts]
    x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(docs)
    group = np.asarray([str(t) for t in traces])
    best = np.full(len(docs), -1.0)
    twin = np.full(len(docs), -1)
    step = 2048  # similarity rows in blocks: memory stays O(step * n)
    for start in range(0, len(docs), step):
        sim = (x[start : start + step] @ x.T).toarray()
        sim[group[start : start + step, None] == group[None, :]] = -1.0  # other traces only
        twin[start : start + step] = sim.argmax(axis=1)
        best[start : start + step] = sim.max(axis=1)
    keep = np.flatnonzero(best >= threshold)
    out: dict[str, Any] = {"threshold": threshold, "n_segments": len(docs),
                           "n_with_twin": int(len(keep))}
    if len(keep) == 0:
        return out
    y = np.asarray(labels, dtype=object)
    a, b = y[keep].astype(str), y[twin[keep]].astype(str)
    out.update(
        agreement=round(float((a == b).mean()), 4),
        kappa=round(float(cohen_kappa_score(a, b)), 4) if len(set(a) | set(b)) > 1 else None,
        label=label,
        label_support=int((a == label).sum()),
        label_f1=round(float(f1_score(a, b, labels=[label], average="macro", zero_division=0)),
                       4),
    )
    return out
