"""Run the step-error analysis over traces: one row per trace, a per-model summary with CIs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..._parallel import map_chunks
from ...progress import progress_bar
from ...text import grade
from ...traces import Trace, question_of
from .._common import proportion, ratio_ci
from ._trace_errors import (
    SegmentSource,
    check_steps,
    ground_truth_steps,
    trace_steps,
)

TRACE_COLUMNS = [
    "trace_id", "model", "model_kind", "corpus", "problem_id", "n_steps", "n_checkable",
    "n_errors", "first_error_pred", "first_error_gold", "gold_source", "n_truth_errors",
    "answer_correct", "first_restatement_error",
]


def _gold_first_error(trace: Trace, steps: list[str], question: str,
                      segments: SegmentSource) -> tuple[int | None, str | None, int | None]:
    """(first error, where the label came from, errors by ground truth) when a label exists."""
    ann = trace.annotations
    gold_steps = bool(ann and ann.segments) and segments == "gold"
    if ann is not None and ann.first_error_labelled and gold_steps:
        return ann.first_error, "human", None
    truth = ground_truth_steps(steps, question)
    if truth is not None:
        return truth.first_error, "chain-truth", truth.n_errors
    return None, None, None


def _maybe_cut(trace: Trace) -> bool:
    """Whether the reasoning may end mid-number: the generation hit its length limit, or — when
    how it ended is unknown (imported files) — no answer follows the reasoning (files of cut
    traces often close the think block themselves)."""
    if trace.finish_reason is not None:
        return trace.finish_reason == "length"
    return not trace.answer.strip()


def _answer_correct(trace: Trace) -> bool | None:
    """The trace's stored verdict, else a math-verify grade of its answer when both sides exist."""
    if trace.correct is not None:
        return trace.correct
    if trace.extracted_answer is not None and trace.gold_answer is not None:
        return grade(trace.extracted_answer, trace.gold_answer)
    return None


def _check_one(trace: Trace, segments: SegmentSource) -> dict[str, Any]:
    steps = trace_steps(trace, segments)
    question = question_of(trace)
    res = check_steps(steps, question, truncated=_maybe_cut(trace))
    gold, source, truth_errors = _gold_first_error(trace, steps, question, segments)
    return {
        "trace_id": trace.trace_id, "model": trace.model.id,
        "model_kind": trace.model.kind.value, "corpus": trace.corpus,
        "problem_id": trace.problem_id, "n_steps": res.n_steps,
        "n_checkable": res.n_checkable, "n_errors": res.n_errors,
        "first_error_pred": res.first_error, "first_error_gold": gold,
        "gold_source": source, "n_truth_errors": truth_errors,
        "answer_correct": _answer_correct(trace),
        "first_restatement_error": res.first_restatement_error,
    }


def _check_many(traces: Sequence[Trace], segments: SegmentSource) -> list[dict[str, Any]]:
    return [_check_one(t, segments) for t in traces]


def check_traces(traces: Iterable[Trace], segments: SegmentSource = "gold",
                 progress: bool = True, workers: int | None = None,
                 chunk: int = 256, executor: str = "local") -> pd.DataFrame:
    """Per trace: steps, checkable steps, errors, the predicted and (when known) gold first-error
    index, final-answer correctness, and the first step that restates the problem wrongly (a
    wrong plan, kept apart from computation errors; see ``_claims``). Runs on ``workers``
    processes (None: every core), or on Ray actors across a cluster with ``executor="ray"``."""
    traces = list(traces)
    bar = progress_bar(total=len(traces), desc="step errors", unit="trace", disable=not progress)
    rows = map_chunks(partial(_check_many, segments=segments), traces, workers, chunk,
                      bar.update, executor)
    bar.close()
    df = pd.DataFrame(rows, columns=TRACE_COLUMNS)
    for col in ("first_error_pred", "first_error_gold", "n_truth_errors",
                "first_restatement_error"):
        df[col] = df[col].astype("Int64")
    df["answer_correct"] = df["answer_correct"].astype("boolean")
    return df


def summarize_errors(df: pd.DataFrame, by: str = "model") -> dict[str, Any]:
    """Per group: step error rate (errors / checkable steps) with a 95% CI resampling problems,
    traces with an error, final-answer accuracy, and first-error accuracy where gold exists."""
    out: dict[str, Any] = {"by": by, "groups": {}}
    for name, grp in df.groupby(by, sort=True):
        entry: dict[str, Any] = {
            "n_traces": int(len(grp)),
            "n_steps": int(grp["n_steps"].sum()),
            "n_checkable": int(grp["n_checkable"].sum()),
            "step_error_rate": ratio_ci(grp["n_errors"].tolist(), grp["n_checkable"].tolist(),
                                        grp["problem_id"].tolist()),
            "traces_with_error": proportion(int((grp["n_errors"] > 0).sum()), len(grp)),
            "traces_with_wrong_restatement": proportion(
                int(grp["first_restatement_error"].notna().sum()), len(grp)),
        }
        graded = grp["answer_correct"].dropna()
        entry["answer_accuracy"] = proportion(int(graded.sum()), int(len(graded)))
        all_labelled = grp[grp["gold_source"].notna()]
        # A trace with no checkable step was never looked at: its "no error found" is not a
        # prediction, so it is left out of first-error accuracy and counted apart.
        labelled = all_labelled[all_labelled["n_checkable"] > 0]
        unseen = int(len(all_labelled) - len(labelled))
        if len(all_labelled):
            entry["first_error_unmeasurable_traces"] = unseen
        if len(all_labelled) and not len(labelled):
            entry["first_error_accuracy"] = {
                "value": None, "ci95": [None, None], "k": 0, "n": 0,
                "not_measurable": f"0 checkable steps in {unseen} labelled traces"}
        if len(labelled):
            pred = labelled["first_error_pred"]
            gold = labelled["first_error_gold"]
            same = ((pred == gold) | (pred.isna() & gold.isna())).fillna(False)
            entry["first_error_accuracy"] = proportion(int(same.sum()), int(len(labelled)))
            entry["first_error_gold_source"] = ",".join(sorted(set(labelled["gold_source"])))
            has_err = gold.notna()
            found = (pred.notna() == has_err)
            entry["error_detection_accuracy"] = proportion(int(found.sum()), int(len(labelled)))
        out["groups"][str(name)] = entry
    return out


def write_errors(df: pd.DataFrame, out: str | Path, by: str = "model",
                 inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``traces.parquet``, ``summary.json`` and the figure (drawn from the saved table),
    all or nothing, as the registered ``errors`` analysis does."""
    from .._registry import write_analysis
    from ._registered import ERRORS, errors_result

    return write_analysis(ERRORS, errors_result(df, by), out, {"by": by, **(inputs or {})})
