"""Helpers every analyzer shares: token counts, grouped confidence intervals, JSON-safe numbers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..stats import bootstrap_ci, bootstrap_column_means, resampled_sums, wilson_interval
from ..traces import Trace

_TOKEN = re.compile(r"\w+|[^\w\s]")


def reasoning_tokens(trace: Trace) -> tuple[int, str]:
    """Length of the reasoning in tokens and how it was counted: the model's own token ids when
    the trace has them, else words and punctuation marks (an approximation, said so)."""
    if trace.completion_token_ids:
        return len(trace.completion_token_ids), "model"
    return len(_TOKEN.findall(trace.reasoning)), "words+punct"


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


def mean_cis(columns: dict[str, Sequence[float]], groups: Sequence[object] | None = None,
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
