"""Linear probes following scikit-learn's estimator contract (no logic in ``__init__``, ``fit``
returns self, learned attributes end in ``_``), so ``clone``, ``GridSearchCV`` and pipelines work.

* :class:`LogisticProbe` — standardised logistic regression whose C is chosen by an inner
  cross-validation that, given ``groups``, is grouped too (a problem never straddles an inner
  split either).
* :class:`MassMeanProbe` — difference of class means (Marks & Tegmark 2023): no optimisation, so
  it finds the direction the classes actually differ along rather than any separating one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, check_X_y, validate_data

from ..registry import Registry


class _LinearScores:
    """Scoring shared by the linear probes: ``X @ coef_.T + intercept_`` in input space, a
    sigmoid / softmax over it (divided by ``temperature_`` where the probe sets one)."""

    coef_: np.ndarray
    intercept_: np.ndarray
    classes_: np.ndarray

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False)
        scores = np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X: Any) -> np.ndarray:
        s = self.decision_function(X) / getattr(self, "temperature_", 1.0)
        if s.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-s))
            return np.column_stack([1 - p, p])
        s = s - s.max(1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(1, keepdims=True)

    def _check_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validated float64 X and y; records the features seen and the classes."""
        X, y = check_X_y(X, y)
        validate_data(self, X, reset=True, skip_check_array=True)
        self.classes_ = unique_labels(y)
        if len(self.classes_) < 2:
            raise ValueError("a probe needs at least two classes in y (got one class)")
        return X.astype(np.float64), y

    def predict(self, X: Any) -> np.ndarray:
        s = self.decision_function(X)
        idx = (s > 0).astype(int) if s.ndim == 1 else s.argmax(1)
        return self.classes_[idx]


class LogisticProbe(_LinearScores, ClassifierMixin, BaseEstimator):
    """Logistic-regression probe with C chosen by inner (grouped) cross-validation.

    Args:
        Cs: candidate inverse regularisation strengths.
        inner_folds: folds of the inner CV (fewer when the data has fewer groups).
        max_iter, tol: L-BFGS iterations and tolerance (probes are scored by accuracy: a
            looser tolerance than scikit-learn's default changes nothing measurable and makes
            the per-layer x position sweeps several times faster).
        standardize: z-score features first (directions are reported in input space anyway).
    """

    def __init__(self, Cs: Sequence[float] = (0.01, 0.1, 1.0), inner_folds: int = 3,
                 max_iter: int = 200, tol: float = 1e-3, standardize: bool = True) -> None:
        self.Cs = Cs
        self.inner_folds = inner_folds
        self.max_iter = max_iter
        self.tol = tol
        self.standardize = standardize

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def _fit_one(self, X: np.ndarray, y: np.ndarray, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, max_iter=self.max_iter, tol=self.tol).fit(X, y)

    def _choose_C(self, Xs: np.ndarray, y: np.ndarray, groups: Any) -> float:
        Cs = list(self.Cs)
        if len(Cs) == 1:
            return float(Cs[0])
        if groups is not None:
            n_groups = len(np.unique(groups))
            k = min(self.inner_folds, n_groups)
            splits = list(GroupKFold(k).split(Xs, y, groups)) if k >= 2 else []
        else:
            k = min(self.inner_folds, int(np.bincount(np.unique(y, return_inverse=True)[1]).min()))
            splits = list(StratifiedKFold(k).split(Xs, y)) if k >= 2 else []
        if not splits:
            return float(Cs[len(Cs) // 2])
        scores = []
        for C in Cs:
            acc = []
            for tr, te in splits:
                if len(np.unique(y[tr])) < 2:
                    continue
                acc.append(self._fit_one(Xs[tr], y[tr], C).score(Xs[te], y[te]))
            scores.append(np.mean(acc) if acc else -1.0)
        return float(Cs[int(np.argmax(scores))])

    def fit(self, X: Any, y: Any, groups: Any = None) -> LogisticProbe:
        X, y = self._check_fit(X, y)
        if self.standardize:
            self.mean_ = X.mean(0)
            self.scale_ = X.std(0) + 1e-8
        else:
            self.mean_ = np.zeros(X.shape[1])
            self.scale_ = np.ones(X.shape[1])
        Xs = self._scale(X)
        self.C_ = self._choose_C(Xs, y, None if groups is None else np.asarray(groups))
        self.model_ = self._fit_one(Xs, y, self.C_)
        self.n_iter_ = self.model_.n_iter_
        self.coef_ = self.model_.coef_ / self.scale_
        self.intercept_ = self.model_.intercept_ - self.coef_ @ self.mean_
        return self

    @property
    def directions_(self) -> np.ndarray:
        """One direction per class in input space (a single row for a binary probe)."""
        return self.coef_


class MassMeanProbe(_LinearScores, ClassifierMixin, BaseEstimator):
    """Difference-of-means probe: class ``c`` scores ``x . mu_c - |mu_c|^2 / 2`` (nearest class
    mean); binary probes score along ``mu_1 - mu_0`` with the midpoint as threshold."""

    def __init__(self) -> None:
        pass

    def fit(self, X: Any, y: Any, groups: Any = None) -> MassMeanProbe:
        X, y = self._check_fit(X, y)
        self.means_ = np.stack([X[y == c].mean(0) for c in self.classes_])
        grand = self.means_.mean(0)
        if len(self.classes_) == 2:
            d = self.means_[1] - self.means_[0]
            self.coef_ = d[None, :]
            self.intercept_ = np.array([-d @ (self.means_[0] + self.means_[1]) / 2])
        else:
            self.coef_ = self.means_
            self.intercept_ = -0.5 * (self.means_ ** 2).sum(1)
        self.direction_means_ = self.means_ - grand
        scores = X @ self.coef_.T + self.intercept_
        self.temperature_ = float(np.std(scores)) or 1.0
        return self

    @property
    def directions_(self) -> np.ndarray:
        """Binary: ``mu_1 - mu_0``; multi-class: each class mean minus the mean of class means."""
        return self.coef_ if len(self.classes_) == 2 else self.direction_means_


PROBES: Registry[type] = Registry("probe")
PROBES.add("logistic", LogisticProbe, "L2-regularised logistic regression (sklearn)")
PROBES.add("mass_mean", MassMeanProbe, "difference of class means (steerable direction)")


def make_probe(name: str, **params: Any) -> Any:
    """A probe by name (``logistic`` or ``mass_mean``)."""
    return PROBES.lookup(name)(**params)
