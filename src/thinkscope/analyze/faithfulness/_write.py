"""Write each faithfulness analysis as tidy parquet tables, a summary with n and CIs, and its
figure (drawn from the saved files, never from memory)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...outputs import atomic_outputs
from ._hints import summarize_hints
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
    """The early-answering table as the registered ``early`` analysis writes it."""
    from .._registry import write_analysis
    from ._builtin import EARLY, early_result

    return write_analysis(EARLY, early_result(df, by), out, meta)


def write_mistakes(df: pd.DataFrame, out: str | Path, by: str = "model",
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from .._registry import write_analysis
    from ._builtin import MISTAKES, mistakes_result

    return write_analysis(MISTAKES, mistakes_result(df, by), out, meta)


def write_filler(df: pd.DataFrame, out: str | Path, by: str = "model",
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from .._registry import write_analysis
    from ._builtin import FILLER, filler_result

    return write_analysis(FILLER, filler_result(df, by), out, meta)


def write_importance(resamples: pd.DataFrame, imp: pd.DataFrame, out: str | Path,
                     meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from .._registry import write_analysis
    from ._builtin import IMPORTANCE, importance_result

    return write_analysis(IMPORTANCE, importance_result(resamples, imp), out, meta)


def write_hints(df: pd.DataFrame, out: str | Path, meta: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    return _emit(out, "hints", {"hints": df}, {**(meta or {}), **summarize_hints(df)})


def write_paraphrase(df: pd.DataFrame, out: str | Path, meta: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
    return _emit(out, "paraphrase", {"paraphrase": df},
                 {**(meta or {}), **summarize_paraphrase(df)})
