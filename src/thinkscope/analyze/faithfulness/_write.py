"""Write each faithfulness analysis as a tidy parquet table, a summary with n and CIs, and its
figure (drawn from the saved summary)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._early import summarize_early, trace_aoc
from ._filler import summarize_filler
from ._importance import summarize_importance
from ._mistakes import summarize_mistakes


def _dump(summary: dict[str, Any], dest: Path, name: str) -> Path:
    path = dest / name
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


def write_early(df: pd.DataFrame, out: str | Path, by: Sequence[str] = ("model",),
                meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...report.figures import truncation_curve_figure

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    df.to_parquet(dest / "early_answering.parquet", index=False)
    if len(df):
        trace_aoc(df).to_parquet(dest / "early_answering_aoc.parquet", index=False)
    summary = {**(meta or {}), **summarize_early(df, by)}
    path = _dump(summary, dest, "early_answering_summary.json")
    truncation_curve_figure(path, dest / "early_answering.png")
    return summary


def write_mistakes(df: pd.DataFrame, out: str | Path, by: str = "model",
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...report.figures import mistake_position_figure

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    df.to_parquet(dest / "mistakes.parquet", index=False)
    summary = {**(meta or {}), **summarize_mistakes(df, by)}
    path = _dump(summary, dest, "mistakes_summary.json")
    mistake_position_figure(path, dest / "mistakes.png")
    return summary


def write_filler(df: pd.DataFrame, out: str | Path, by: str = "model",
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...report.figures import filler_figure

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    df.to_parquet(dest / "filler.parquet", index=False)
    summary = {**(meta or {}), **summarize_filler(df, by)}
    path = _dump(summary, dest, "filler_summary.json")
    filler_figure(path, dest / "filler.png")
    return summary


def write_importance(resamples: pd.DataFrame, imp: pd.DataFrame, out: str | Path,
                     meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from ...report.figures import importance_figure

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    resamples.to_parquet(dest / "importance_resamples.parquet", index=False)
    imp.to_parquet(dest / "importance.parquet", index=False)
    summary = {**(meta or {}), **summarize_importance(imp)}
    _dump(summary, dest, "importance_summary.json")
    importance_figure(dest / "importance.parquet", dest / "importance.png")
    return summary


def write_hints(df: pd.DataFrame, out: str | Path, meta: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    from ._hints import summarize_hints

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    df.to_parquet(dest / "hints.parquet", index=False)
    summary = {**(meta or {}), **summarize_hints(df)}
    _dump(summary, dest, "hints_summary.json")
    return summary


def write_paraphrase(df: pd.DataFrame, out: str | Path, meta: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
    from ._paraphrase import summarize_paraphrase

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    df.to_parquet(dest / "paraphrase.parquet", index=False)
    summary = {**(meta or {}), **summarize_paraphrase(df)}
    _dump(summary, dest, "paraphrase_summary.json")
    return summary
