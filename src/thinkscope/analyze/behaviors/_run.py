"""Run a behaviour detector over traces: per-segment labels, per-trace counts/fractions/rates,
and a per-model summary with bootstrap CIs (and agreement with gold labels where they exist)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..._parallel import map_chunks
from ...progress import progress_bar
from ...traces import Trace, question_of
from .._common import mean_cis, reasoning_tokens
from ._agreement import agreement
from ._detectors import Detector
from ._labels import BEHAVIORS
from ._segments import trace_segments


@dataclass
class BehaviorResult:
    """Tidy tables of one run: ``segments`` (one row per segment), ``traces`` (one per trace)."""

    segments: pd.DataFrame
    traces: pd.DataFrame
    detector: str
    segment_source: str


def label_traces(traces: Iterable[Trace], detector: Detector, segments: str = "gold",
                 progress: bool = True, chunk: int = 256, workers: int | None = None,
                 executor: str = "local") -> BehaviorResult:
    """Label every segment of every trace with ``detector`` (traces are labelled ``chunk`` at a
    time when the detector can batch), on ``workers`` processes (None: every core, when the
    detector is ``parallel_safe``; a judge model is never forked), or on Ray actors across a
    cluster with ``executor="ray"``."""
    traces = list(traces)
    batch = getattr(detector, "predict_batch", None)

    def work(pending: Sequence[Trace]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        segs_all = [trace_segments(t, segments) for t in pending]
        if batch is not None:
            preds_all = batch(segs_all)
        else:
            preds_all = [detector.predict(sg, question=question_of(t)) if sg else []
                         for t, sg in zip(pending, segs_all)]
        out = []
        for trace, segs, preds in zip(pending, segs_all, preds_all):
            out.append((_trace_row(trace, segs, preds, detector.name), [
                {"trace_id": trace.trace_id, "model": trace.model.id,
                 "segment_index": seg.index, "text": seg.text, "label_pred": pred,
                 "label_gold": seg.gold, "detector": detector.name}
                for seg, pred in zip(segs, preds)]))
        return out

    if not getattr(detector, "parallel_safe", False):
        workers, executor = 1, "local"
    bar = progress_bar(total=len(traces), desc=f"behaviors ({detector.name})", unit="trace",
               disable=not progress)
    results = map_chunks(work, traces, workers, chunk, bar.update, executor)
    bar.close()
    trace_rows = [r for r, _ in results]
    seg_rows = [row for _, rows in results for row in rows]
    seg_cols = ["trace_id", "model", "segment_index", "text", "label_pred", "label_gold",
                "detector"]
    return BehaviorResult(pd.DataFrame(seg_rows, columns=seg_cols), pd.DataFrame(trace_rows),
                          detector.name, segments)


def _trace_row(trace: Trace, segs: list[Any], preds: list[str | None],
               detector: str) -> dict[str, Any]:
    n_tokens, token_unit = reasoning_tokens(trace)
    row: dict[str, Any] = {
        "trace_id": trace.trace_id, "model": trace.model.id,
        "model_kind": trace.model.kind.value, "corpus": trace.corpus,
        "problem_id": trace.problem_id, "n_segments": len(segs),
        "n_unlabelled": sum(p is None for p in preds), "n_tokens": n_tokens,
        "token_unit": token_unit, "detector": detector,
    }
    for lab in BEHAVIORS:
        count = sum(p == lab for p in preds)
        key = lab.replace("-", "_")
        row[f"n_{key}"] = count
        row[f"frac_{key}"] = count / len(segs) if segs else float("nan")
        row[f"per1k_{key}"] = 1000 * count / n_tokens if n_tokens else float("nan")
    return row


def summarize_behaviors(result: BehaviorResult, by: str = "model") -> dict[str, Any]:
    """Per group: traces, mean fraction and rate per 1k tokens of every behaviour with bootstrap
    95% CIs over problems; agreement with gold labels when the segments carry them."""
    out: dict[str, Any] = {"detector": result.detector, "segments": result.segment_source,
                           "by": by, "groups": {}}
    tr, sg = result.traces, result.segments
    if tr.empty:
        return out
    for name, grp in tr.groupby(by, sort=True):
        key = str(name)
        entry: dict[str, Any] = {
            "n_traces": int(len(grp)), "n_segments": int(grp["n_segments"].sum()),
            "n_unlabelled": int(grp["n_unlabelled"].sum()),
            "token_unit": ",".join(sorted(set(grp["token_unit"]))),
            "behaviors": {},
        }
        cols = {f"{kind}_{lab.replace('-', '_')}": grp[f"{kind}_{lab.replace('-', '_')}"]
                .tolist() for lab in BEHAVIORS for kind in ("frac", "per1k")}
        cis = mean_cis(cols, grp["problem_id"].tolist())
        for lab in BEHAVIORS:
            k = lab.replace("-", "_")
            entry["behaviors"][lab] = {"fraction": cis[f"frac_{k}"],
                                       "per_1k_tokens": cis[f"per1k_{k}"]}
        gold = sg[(sg["trace_id"].isin(grp["trace_id"])) & sg["label_gold"].notna()]
        if len(gold):
            entry["agreement"] = agreement(gold["label_gold"].tolist(),
                                           gold["label_pred"].tolist(),
                                           groups=gold["trace_id"].tolist())
        out["groups"][key] = entry
    gold_all = sg[sg["label_gold"].notna()]
    if len(gold_all):
        out["agreement_all"] = agreement(gold_all["label_gold"].tolist(),
                                         gold_all["label_pred"].tolist(),
                                         groups=gold_all["trace_id"].tolist())
    return out


def write_behaviors(result: BehaviorResult, out: str | Path, by: str = "model",
                    inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``segments.parquet``, ``traces.parquet``, ``summary.json`` and the figure, all or
    nothing, as the registered ``behaviors`` analysis does; returns the summary. The figure is
    drawn from the saved table, not from memory."""
    from .._registry import write_analysis
    from ._registered import BEHAVIORS, behaviors_result

    return write_analysis(BEHAVIORS, behaviors_result(result, by), out,
                          {"detector": result.detector, "by": by, **(inputs or {})})
