"""Uncertainty for every number we report: Wilson intervals for proportions and percentile
bootstrap intervals (optionally resampling whole groups, e.g. problems) for any statistic."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

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
    problem do not count as independent evidence.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    if groups is None:
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
    alpha = (1 - level) / 2
    return (float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha)))
