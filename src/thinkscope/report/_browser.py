"""The data behind the report's trace browser: per trace its problem, gold and model answer,
hint, segments with their behaviour labels, first erroneous step, and the truncation and
importance curves where the trace was analysed — read from a results directory's saved tables
and its trace store.

The page embeds it as JSON and draws it with ``textContent`` only, so model text stays inert.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

#: traces per model embedded in the page (the page stays a few MB at most)
PER_MODEL = 150


def _read(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=columns or [])
    df = pd.read_parquet(path)
    return df[[c for c in columns if c in df.columns]] if columns else df


def _clean(v: Any) -> Any:
    """JSON-safe: NaN / NA become None, numpy scalars plain Python."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v.item() if hasattr(v, "item") else v


def _store_info(out: Path, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Question, gold / model answer, verdict and hint of the wanted traces from the run's store
    (empty when the results directory has none)."""
    from ..text import strip_hint
    from ..traces import TraceStore, row_to_trace

    root = out / "store"
    if not root.is_dir():
        return {}
    try:
        df = TraceStore(root, create=False).to_pandas()
        # only the embedded traces become ``Trace`` objects (a store may hold 100,000s)
        traces = [row_to_trace(r) for r in
                  df[df["trace_id"].isin(ids)].to_dict(orient="records")]
    except Exception:  # a report is still written without the store's details
        return {}
    info: dict[str, dict[str, Any]] = {}
    for t in traces:
        q = t.question
        hinted = strip_hint(q)
        info[t.trace_id] = {
            "problem": t.problem_id, "question": hinted[0] if hinted else q,
            "hint": f"{hinted[1]}: {hinted[2]}" if hinted else None,
            "gold": t.gold_answer, "answer": t.extracted_answer, "correct": t.correct,
        }
    return info


def browser_data(out: str | Path, per_model: int = PER_MODEL) -> dict[str, Any]:
    """``{"traces": [...], "capped": {model: total}}``: up to ``per_model`` traces per model,
    those with truncation / importance curves and errors first."""
    out = Path(out)
    segs = _read(out / "behaviors" / "segments.parquet",
                 ["trace_id", "model", "segment_index", "text", "label_pred"])
    if segs.empty:
        return {"traces": [], "capped": {}}
    errs = _read(out / "errors" / "traces.parquet",
                 ["trace_id", "first_error_pred", "answer_correct", "n_checkable", "n_errors"])
    err = {r["trace_id"]: r for r in errs.to_dict(orient="records")}
    early = _read(out / "early" / "early_answering.parquet",
                  ["trace_id", "cut", "fraction", "same"])
    if "cut" in early.columns:
        early = early[early["cut"] == "sentence"]
    curves = {tid: [[round(float(f), 4), bool(s)] for f, s in
                    zip(g.sort_values("fraction")["fraction"], g.sort_values("fraction")["same"])]
              for tid, g in early.groupby("trace_id")}
    imp = _read(out / "importance" / "importance.parquet",
                ["trace_id", "sentence_index", "text", "resampling_importance_kl",
                 "counterfactual_importance_kl"])
    importance = {tid: [[int(r["sentence_index"]), _clean(r["resampling_importance_kl"]),
                         _clean(r.get("counterfactual_importance_kl")), str(r["text"])]
                        for r in g.sort_values("sentence_index").to_dict(orient="records")]
                  for tid, g in imp.groupby("trace_id")}
    chosen: list[tuple[str, str]] = []
    capped: dict[str, int] = {}
    for model, g in segs.groupby("model", sort=True):
        ids = list(dict.fromkeys(g["trace_id"]))
        if len(ids) > per_model:
            capped[str(model)] = len(ids)

        def rank(t: str) -> tuple[bool, bool, bool]:
            fe = err.get(t, {}).get("first_error_pred")
            return (t not in importance, t not in curves, _clean(fe) is None)

        chosen += [(str(model), t) for t in sorted(ids, key=rank)[:per_model]]
    wanted = {t for _, t in chosen}
    info = _store_info(out, wanted)
    by_trace = {tid: g.sort_values("segment_index")
                for tid, g in segs[segs["trace_id"].isin(wanted)].groupby("trace_id")}
    traces = []
    for model, tid in chosen:
        g = by_trace[tid]
        e = err.get(tid, {})
        meta = info.get(tid, {})
        correct = _clean(e.get("answer_correct"))
        traces.append({
            "id": tid, "model": model,
            "segments": [[str(lab) if _clean(lab) is not None else "", str(text)]
                         for lab, text in zip(g["label_pred"], g["text"])],
            "first_error": _clean(e.get("first_error_pred")),
            "n_checkable": _clean(e.get("n_checkable")), "n_errors": _clean(e.get("n_errors")),
            "correct": correct if correct is not None else meta.get("correct"),
            "problem": meta.get("problem"), "question": meta.get("question"),
            "hint": meta.get("hint"), "gold": meta.get("gold"), "answer": meta.get("answer"),
            "early": curves.get(tid), "importance": importance.get(tid),
        })
    return {"traces": traces, "capped": capped}


def json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` can close
    the element or start markup."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
