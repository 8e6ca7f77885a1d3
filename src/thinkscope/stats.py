"""Uncertainty for every number we report: Wilson intervals for proportions and percentile
bootstrap intervals (optionally resampling whole groups, e.g. problems) for any statistic."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (well-behaved at 0% and 100%)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    groups: Sequence[object] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(values)``.

    With ``groups`` (e.g. problem ids) whole groups are resampled, so several samples of the same
    problem do not count as independent evidence. Resamples where the statistic is undefined
    (NaN: e.g. an AUROC of one class) are left out.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    if statistic is np.mean:
        stats = bootstrap_column_means(x[:, None], groups, n_boot, rng)[:, 0]
    elif groups is None:
        idx = rng.integers(0, x.size, size=(n_boot, x.size))
        stats = np.array([statistic(x[i]) for i in idx])
    else:
        keys = list(dict.fromkeys(groups))
        members: dict[object, list[int]] = {k: [] for k in keys}
        for i, g in enumerate(groups):
            members[g].append(i)
        member_arrays = [np.asarray(members[k]) for k in keys]
        stats = np.empty(n_boot)
        for b in range(n_boot):
            pick = rng.integers(0, len(keys), size=len(keys))
            stats[b] = statistic(x[np.concatenate([member_arrays[j] for j in pick])])
    stats = stats[~np.isnan(stats)]  # resamples where the statistic is undefined
    if stats.size == 0:
        return (float("nan"), float("nan"))
    alpha = (1 - level) / 2
    return (float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha)))


def resampled_sums(weights: np.ndarray, n_units: int, n_boot: int, rng: np.random.Generator,
                   cells: int = 4_000_000) -> np.ndarray:
    """For each of ``n_boot`` resamples of ``n_units`` units drawn with replacement, the sum of
    every column of ``weights`` (``n_units x k``) over the drawn units; computed a block of
    resamples at a time so memory stays near ``cells`` numbers however many units there are
    (100,000 problems x 2,000 resamples would otherwise be 1.6 GB of indices)."""
    out = np.empty((n_boot, weights.shape[1]))
    step = max(1, cells // max(1, n_units))
    for b in range(0, n_boot, step):
        m = min(step, n_boot - b)
        picks = rng.integers(0, n_units, size=(m, n_units))
        # how often each unit was drawn in each resample, then one matrix product for all
        # columns at once (a gather of every column would cost k passes over the picks)
        flat = (picks + np.arange(m)[:, None] * n_units).ravel()
        counts = np.bincount(flat, minlength=m * n_units).reshape(m, n_units)
        out[b:b + m] = counts.astype(float) @ weights
    return out


def bootstrap_column_means(x: np.ndarray, groups: Sequence[object] | None, n_boot: int,
                           rng: np.random.Generator) -> np.ndarray:
    """Bootstrap distributions of the mean of each column of ``x`` (``n x k``; NaN = missing,
    left out), from one resampling of the rows or of whole ``groups`` of rows, vectorised: a
    unit's contribution is its sum and its count, so a resample's mean is a ratio of sums.
    Returns ``n_boot x k`` (NaN where a resample drew no value of a column)."""
    ok = ~np.isnan(x)
    if groups is None:
        gid = np.arange(len(x))
    else:
        keys = {g: i for i, g in enumerate(dict.fromkeys(groups))}
        gid = np.fromiter((keys[g] for g in groups), dtype=np.int64, count=len(x))
    n_units = int(gid.max()) + 1
    w = np.zeros((n_units, 2 * x.shape[1]))
    for j in range(x.shape[1]):
        w[:, 2 * j] = np.bincount(gid, weights=np.where(ok[:, j], x[:, j], 0.0),
                                  minlength=n_units)
        w[:, 2 * j + 1] = np.bincount(gid, weights=ok[:, j].astype(float), minlength=n_units)
    sums = resampled_sums(w, n_units, n_boot, rng)
    den = sums[:, 1::2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, sums[:, 0::2] / den, np.nan)


def mean_ci(values: Sequence[float], groups: Sequence[object] | None = None,
            seed: int = 0) -> dict[str, Any]:
    """Mean with a 95% bootstrap CI (resampling ``groups`` whole) and n."""
    x = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if groups is not None:
        g = [gr for v, gr in zip(values, groups) if v is not None and not math.isnan(float(v))]
    else:
        g = None
    if not x:
        return {"mean": None, "ci95": [None, None], "n": 0}
    lo, hi = bootstrap_ci(x, groups=g, seed=seed)
    return {"mean": round(float(np.mean(x)), 4), "ci95": [round(lo, 4), round(hi, 4)],
            "n": len(x)}


def mean_cis(columns: Mapping[str, Sequence[float | None]], groups: Sequence[object] | None = None,
             seed: int = 0, n_boot: int = 2000, level: float = 0.95) -> dict[str, dict[str, Any]]:
    """``mean_ci`` of several columns of the same units at once: one resampling of the units
    (or of ``groups`` of them) serves every column, so the cost does not grow with the number
    of columns. Missing values (None/NaN) are left out column by column."""
    names = list(columns)
    if not names:
        return {}
    x = np.array([[np.nan if v is None else float(v) for v in columns[c]] for c in names]).T
    boot = (bootstrap_column_means(x, groups, n_boot, np.random.default_rng(seed))
            if len(x) else None)
    alpha = (1 - level) / 2
    out: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        ok = ~np.isnan(x[:, j])
        if boot is None or not ok.any():
            out[name] = {"mean": None, "ci95": [None, None], "n": 0}
            continue
        stats = boot[:, j][~np.isnan(boot[:, j])]
        lo, hi = np.quantile(stats, [alpha, 1 - alpha])
        out[name] = {"mean": round(float(np.mean(x[ok, j])), 4),
                     "ci95": [round(float(lo), 4), round(float(hi), 4)], "n": int(ok.sum())}
    return out


def ratio_ci(num: Sequence[float], den: Sequence[float], groups: Sequence[object] | None = None,
             seed: int = 0, n_boot: int = 2000) -> dict[str, Any]:
    """sum(num)/sum(den) with a 95% CI from resampling units (or ``groups`` of units) whole."""
    a = np.asarray(num, dtype=float)
    b = np.asarray(den, dtype=float)
    total = b.sum()
    if total == 0:
        return {"value": None, "ci95": [None, None], "numerator": int(a.sum()),
                "denominator": 0}
    keys = list(dict.fromkeys(groups)) if groups is not None else list(range(len(a)))
    index = {k: i for i, k in enumerate(keys)}
    gid = np.array([index[g] for g in groups]) if groups is not None else np.arange(len(a))
    ga = np.bincount(gid, weights=a, minlength=len(keys))
    gb = np.bincount(gid, weights=b, minlength=len(keys))
    rng = np.random.default_rng(seed)
    sums = resampled_sums(np.stack([ga, gb], axis=1), len(keys), n_boot, rng)
    sa, sb = sums[:, 0], sums[:, 1]
    stats = sa[sb > 0] / sb[sb > 0]
    lo, hi = np.quantile(stats, [0.025, 0.975]) if stats.size else (float("nan"),) * 2
    return {"value": round(float(a.sum() / total), 4), "ci95": [round(float(lo), 4),
            round(float(hi), 4)], "numerator": int(a.sum()), "denominator": int(total)}


def proportion(successes: int, n: int) -> dict[str, Any]:
    """A proportion with its Wilson 95% interval and n."""
    lo, hi = wilson_interval(successes, n)
    return {"value": round(successes / n, 4) if n else None,
            "ci95": [round(lo, 4), round(hi, 4)] if n else [None, None], "k": successes, "n": n}


def proportion_difference(k1: int, n1: int, k2: int, n2: int) -> dict[str, Any]:
    """``k1/n1 - k2/n2`` with Newcombe's hybrid-score 95% interval (from the two Wilson
    intervals; Newcombe 1998, method 10): good coverage at small n and near 0, where the
    Wald interval of a difference is far too narrow."""
    if not n1 or not n2:
        return {"value": None, "ci95": [None, None], "n": [n1, n2]}
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {"value": round(d, 4), "ci95": [round(lo, 4), round(hi, 4)], "n": [n1, n2]}


def mean_difference(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """``mean(a) - mean(b)`` over independent units (e.g. students trained with different
    seeds) with Welch's 95% t interval: with a handful of units per arm a bootstrap has too few
    distinct resamples, and Welch does not assume the two arms vary alike. n is per arm; the
    interval is None when an arm has fewer than 2 units."""
    from scipy import stats as st

    x = [float(v) for v in a]
    y = [float(v) for v in b]
    if not x or not y:
        return {"value": None, "ci95": [None, None], "n": [len(x), len(y)]}
    d = float(np.mean(x) - np.mean(y))
    if len(x) < 2 or len(y) < 2:
        return {"value": round(d, 4), "ci95": [None, None], "n": [len(x), len(y)]}
    if np.var(x) == 0 and np.var(y) == 0:
        return {"value": round(d, 4), "ci95": [round(d, 4), round(d, 4)], "n": [len(x), len(y)]}
    ci = st.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    return {"value": round(d, 4), "ci95": [round(float(ci.low), 4), round(float(ci.high), 4)],
            "n": [len(x), len(y)]}
