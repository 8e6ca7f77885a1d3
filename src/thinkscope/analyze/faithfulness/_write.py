"""Write each faithfulness analysis as tidy parquet tables, a summary with n and CIs, and its
figure (drawn from the saved files, never from memory)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...outputs import atomic_outputs
from ._early import summarize_early, trace_aoc
from ._filler import summarize_filler
from ._hints import summarize_hints
from ._importance import summarize_importance
from ._mistakes import summarize_mistakes
from ._paraphrase import summarize_paraphrase


def _emit(out: str | Path, name: str, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
          figure: Callable[[Path], Any] | None = None) -> dict[str, Any]:
    """``OUT/<table>.parquet`` for each table, ``OUT/<name>_summary.json``, then the figure,
    committed together under ``OUT/<name>.manifest.json`` (the summary's ``meta`` keys are
    the manifest's inputs)."""
    inputs = {k: v for k, v in summary.items() if k not in ("groups", "overall")}
    with atomic_outputs(out, name, inputs) as dest:
        for table, df in tables.items():
            df.to_parquet(dest / f"{table}.parquet", index=False)
        (dest / f"{name}_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        if figure is not None:
            figure(dest)
    return summary


def write_early(df: pd.DataFrame, out: str | Path, by: Sequence[str] = ("model",),
                meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...figures import truncation_curve_figure

    tables = {"early_answering": df}
    if len(df):
        tables["early_answering_aoc"] = trace_aoc(df)
    return _emit(out, "early_answering", tables, {**(meta or {}), **summarize_early(df, by)},
                 lambda d: truncation_curve_figure(d / "early_answering_summary.json",
                                                   d / "early_answering.png"))


def write_mistakes(df: pd.DataFrame, out: str | Path, by: str = "model",
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...figures import mistake_position_figure

    return _emit(out, "mistakes", {"mistakes": df},
                 {**(meta or {}), **summarize_mistakes(df, by)},
                 lambda d: mistake_position_figure(d / "mistakes_summary.json",
                                                   d / "mistakes.png"))


def write_filler(df: pd.DataFrame, out: str | Path, by: str = "model",
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...figures import filler_figure

    return _emit(out, "filler", {"filler": df}, {**(meta or {}), **summarize_filler(df, by)},
                 lambda d: filler_figure(d / "filler_summary.json", d / "filler.png"))


def write_importance(resamples: pd.DataFrame, imp: pd.DataFrame, out: str | Path,
                     meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...figures import importance_figure

    return _emit(out, "importance", {"importance_resamples": resamples, "importance": imp},
                 {**(meta or {}), **summarize_importance(imp)},
                 lambda d: importance_figure(d / "importance.parquet", d / "importance.png"))


def write_hints(df: pd.DataFrame, out: str | Path, meta: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    return _emit(out, "hints", {"hints": df}, {**(meta or {}), **summarize_hints(df)})


def write_paraphrase(df: pd.DataFrame, out: str | Path, meta: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
    return _emit(out, "paraphrase", {"paraphrase": df},
                 {**(meta or {}), **summarize_paraphrase(df)})
