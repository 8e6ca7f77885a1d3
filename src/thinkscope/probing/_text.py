"""The text-only baseline: what a classifier on the visible text alone decodes.

If a bag of character n-grams of the text up to a position predicts the target as well as the
hidden state does, the probe has shown nothing beyond the text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..traces import Trace

#: characters of visible text the baseline sees (the end of it: the most recent text)
TEXT_WINDOW = 2000


def visible_text(trace: Trace, region: str, char_end: int) -> str:
    """The question plus whatever of the CoT is written by this position. Prompt rows see the
    whole question (an upper bound that only makes the baseline stronger); rows after the CoT
    see all of it but none of the final answer (the answer position precedes the answer, and the
    cue text between carries nothing about it)."""
    from ..traces import question_of

    q = question_of(trace)
    if region == "prompt":
        return q[-TEXT_WINDOW:]
    body = trace.reasoning[:char_end] if region == "cot" else trace.reasoning
    return (q + "\n" + body)[-TEXT_WINDOW:]


def text_baseline(texts: list[str], y: np.ndarray, groups: np.ndarray, n_splits: int = 5,
                  seed: int = 0) -> dict[str, Any]:
    """Grouped-CV accuracy of TF-IDF character 1-3-grams + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from ._evaluate import grouped_folds, oof_predict, score

    y = y.astype(str) if y.dtype == object else y
    folds = grouped_folds(groups, n_splits)
    X = np.asarray(texts, dtype=object)
    pipe = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3),
                                         max_features=20000, sublinear_tf=True),
                         LogisticRegression(C=1.0, max_iter=500))
    pred, proba, classes = oof_predict(pipe, X, y, groups, folds)
    return {"condition": "text_only", **score(y, pred, groups, proba, classes, seed=seed)}
