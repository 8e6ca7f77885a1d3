"""Grouped cross-validated probe scores, controls and baselines, with CIs over problems.

Folds are split by problem (``GroupKFold``), never by token: positions of one problem are
strongly correlated and a token-level split scores memorisation. Every score is out-of-fold,
with a 95% bootstrap interval that resamples whole problems.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

N_BOOT = 300


@contextmanager
def convergence_summary() -> Iterator[None]:
    """Collect scikit-learn's per-fit ``ConvergenceWarning`` s of a probe sweep into one line.

    A sweep fits thousands of logistic probes at a loose tolerance (they are scored by
    accuracy); the few that stop at their iteration limit would otherwise print a block each.
    Other warnings pass through unchanged."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield
    n = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n += 1
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if n:
        warnings.warn(f"{n} logistic-probe fit(s) stopped at their iteration limit before "
                      "reaching their tolerance; raise max_iter (probe_params={'logistic': "
                      "{'max_iter': ...}}) to check that the accuracies do not move",
                      ConvergenceWarning, stacklevel=4)


def control_labels(keys: Any, y: Any, seed: int = 0) -> np.ndarray:
    """Control task (Hewitt & Liang 2019): each distinct surface key gets one label drawn from
    the empirical label distribution, the same wherever the key recurs. A probe that scores as
    well on these as on the real labels is memorising inputs, not reading a computed value.

    The draw depends on the set of keys, the labels' distribution and ``seed`` only, not on the
    order of the rows (which batching decides)."""
    rng = np.random.default_rng(seed)
    pool = np.sort(np.asarray(y))
    unique = sorted(set(keys), key=lambda k: (type(k).__name__, str(k)))
    mapping = dict(zip(unique, pool[rng.integers(len(pool), size=len(unique))]))
    return np.asarray([mapping[k] for k in keys])


def shuffled_labels(y: Any, seed: int = 0) -> np.ndarray:
    """The labels permuted across rows: any probe must be at chance on them."""
    return np.random.default_rng(seed).permutation(np.asarray(y))


def grouped_folds(groups: Any, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Problem-grouped folds (as many as there are problems, at most ``n_splits``)."""
    g = np.asarray(groups)
    k = min(n_splits, len(np.unique(g)))
    if k < 2:
        raise ValueError("grouped cross-validation needs at least two problems")
    return list(GroupKFold(k).split(np.zeros(len(g)), groups=g))


def oof_predict(probe: Any, X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """Out-of-fold predictions and class probabilities (columns follow ``classes``)."""
    classes = np.unique(y)
    pred = np.empty(len(y), dtype=y.dtype)
    proba = np.zeros((len(y), len(classes)))
    for tr, te in folds:
        if len(np.unique(y[tr])) < 2:
            pred[te] = y[tr][0]
            proba[te, np.searchsorted(classes, y[tr][0])] = 1.0
            continue
        est = clone(probe)
        if "groups" in inspect.signature(est.fit).parameters:
            est.fit(X[tr], y[tr], groups=groups[tr])
        else:
            est.fit(X[tr], y[tr])
        pred[te] = est.predict(X[te])
        p = est.predict_proba(X[te])
        cols = np.searchsorted(classes, est.classes_)
        proba[np.ix_(te, cols)] = p
    return pred, proba, classes


def majority_predict(y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each fold predicts its training set's most frequent label."""
    pred = np.empty(len(y), dtype=y.dtype)
    for tr, te in folds:
        vals, counts = np.unique(y[tr], return_counts=True)
        pred[te] = vals[np.argmax(counts)]
    return pred


def _binary_auc(pos: np.ndarray, scores: np.ndarray) -> float | None:
    """Mann-Whitney AUROC with tied scores sharing their average rank (equal to sklearn's)."""
    n1 = int(pos.sum())
    n0 = len(pos) - n1
    if n1 == 0 or n0 == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _auroc(y: np.ndarray, proba: np.ndarray | None, classes: np.ndarray) -> float | None:
    """Binary AUROC, or the one-vs-rest macro average over the classes present (what
    ``roc_auc_score(multi_class="ovr")`` computes, without its per-call validation cost: the
    bootstrap calls this hundreds of times)."""
    if proba is None or len(np.unique(y)) < 2:
        return None
    if len(classes) == 2:
        return _binary_auc(y == classes[1], proba[:, 1])
    present = [i for i, c in enumerate(classes) if (y == c).any()]
    if len(present) < 2:
        return None
    p = proba[:, present]
    p = p / np.clip(p.sum(1, keepdims=True), 1e-12, None)
    aucs = [_binary_auc(y == classes[i], p[:, j]) for j, i in enumerate(present)]
    vals = [a for a in aucs if a is not None]
    return float(np.mean(vals)) if vals else None


def score(y: np.ndarray, pred: np.ndarray, groups: np.ndarray, proba: np.ndarray | None = None,
          classes: np.ndarray | None = None, seed: int = 0, n_boot: int = N_BOOT
          ) -> dict[str, Any]:
    """Accuracy (and AUROC when probabilities are given) with 95% CIs over problems."""
    from ..stats import bootstrap_ci, resampled_sums

    correct = (pred == y).astype(float)
    keys, gid = np.unique(groups, return_inverse=True)
    # accuracy over resampled problems: a ratio of sums (hits / rows), one vectorised bootstrap
    per_problem = np.stack([np.bincount(gid, weights=correct, minlength=len(keys)),
                            np.bincount(gid, minlength=len(keys)).astype(float)], axis=1)
    sums = resampled_sums(per_problem, len(keys), n_boot, np.random.default_rng(seed))
    boot = sums[:, 0] / np.maximum(sums[:, 1], 1)
    out: dict[str, Any] = {
        "accuracy": float(correct.mean()), "accuracy_lo": float(np.percentile(boot, 2.5)),
        "accuracy_hi": float(np.percentile(boot, 97.5)), "n_rows": int(len(y)),
        "n_problems": int(len(keys)),
    }
    auc = _auroc(y, proba, classes) if classes is not None else None
    out.update(auroc=auc, auroc_lo=None, auroc_hi=None)
    if auc is not None and proba is not None and classes is not None:
        def resampled_auc(rows: np.ndarray) -> float:
            idx = rows.astype(int)
            a = _auroc(y[idx], proba[idx], classes)
            return np.nan if a is None else a

        rows = np.arange(len(y), dtype=float).tolist()
        lo, hi = bootstrap_ci(rows, resampled_auc, groups=list(gid),
                              n_boot=max(50, n_boot // 3), seed=seed)
        if not np.isnan(lo):
            out.update(auroc_lo=lo, auroc_hi=hi)
    return out


def evaluate_probe(probe: Any, X: np.ndarray, y: Any, groups: Any,
                   control: Any | None = None, n_splits: int = 5, seed: int = 0,
                   conditions: Sequence[str] = ("task", "control", "shuffled", "majority"),
                   ) -> list[dict[str, Any]]:
    """One row per condition: the probe on the real labels (``task``), on control-task labels,
    on shuffled labels, and the majority-class baseline, all on the same grouped folds.

    ``control`` is one control labelling or a list of several draws; with several, the control
    row is their mean accuracy (``draws`` says how many) with a CI over problems that resamples
    each problem's rows of every draw together. One draw of a control task varies a lot when
    there are few distinct keys, so several are the default of :func:`train_probes`."""
    y = np.asarray(y)
    if y.dtype == object:
        y = y.astype(str)
    g = np.asarray(groups)
    folds = grouped_folds(g, n_splits)
    rows = []
    for cond in conditions:
        if cond == "majority":
            rows.append({"condition": cond, **score(y, majority_predict(y, folds), g, seed=seed)})
            continue
        if cond == "control":
            if control is None:
                continue
            row = _control_row(probe, X, control, g, folds, seed)
            if row is not None:
                rows.append(row)
            continue
        if cond == "shuffled":
            yy = shuffled_labels(y, seed)
        else:
            yy = y
        if len(np.unique(yy)) < 2:
            continue
        pred, proba, classes = oof_predict(probe, X, yy, g, folds)
        rows.append({"condition": cond, **score(yy, pred, g, proba, classes, seed=seed)})
    return rows


def _control_row(probe: Any, X: np.ndarray, control: Any, g: np.ndarray,
                 folds: list[tuple[np.ndarray, np.ndarray]], seed: int) -> dict[str, Any] | None:
    draws = control if isinstance(control, list) else [control]
    fitted = []
    for c in draws:
        yy = np.asarray(c)
        yy = yy.astype(str) if yy.dtype == object else yy
        if len(np.unique(yy)) >= 2:
            fitted.append((yy, *oof_predict(probe, X, yy, g, folds)))
    if not fitted:
        return None
    if len(fitted) == 1:
        return {"condition": "control", **score(*fitted[0][:2], g, *fitted[0][2:], seed=seed),
                "draws": 1}
    # several draws: accuracy pooled over draws, each problem's rows of every draw resampled
    # together; AUROC is the mean over draws (no CI)
    pooled = score(np.concatenate([f[0].astype(str) for f in fitted]),
                   np.concatenate([np.asarray(f[1]).astype(str) for f in fitted]),
                   np.tile(g, len(fitted)), seed=seed)
    aucs = [a for yy, _, proba, classes in fitted
            if classes is not None and (a := _auroc(yy, proba, classes)) is not None]
    pooled.update(n_rows=int(len(g)), auroc=float(np.mean(aucs)) if aucs else None)
    return {"condition": "control", **pooled, "draws": len(fitted)}
