"""How behaviour moves along training: the same measurements at every checkpoint of a run.

Input: traces of several checkpoints of one run (``organism:NAME@STEP`` models, or any models
given a step in ``steps``), sampled on the same held-out problems with the same seeds. Output: one
tidy row per checkpoint x metric (value, 95% CI, n), ordered by training step, with the tokens
trained to that step when the checkpoint recorded them. Each metric is the one the dedicated
analyzer reports (accuracy of graded traces, backtracking share by the keyword and the
classifier detectors, step error rate against exact ground truth, CoT length, early-answering
AOC, answer change after an inserted mistake), so a trajectory reads like the single-model
sections of the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...progress import progress_bar
from ...traces import Trace
from .._common import mean_cis, proportion, ratio_ci, reasoning_tokens

#: Metrics in report order: (column key, label, needs a backend).
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("accuracy", "accuracy (sampled traces)", False),
    ("backtracking_keyword", "backtracking share of segments (keyword)", False),
    ("backtracking_classifier", "backtracking share of segments (classifier)", False),
    ("step_error_rate", "step error rate (exact ground truth)", False),
    ("cot_tokens", "CoT length (tokens)", False),
    ("aoc", "early-answering AOC", True),
    ("mistake_changed", "answer changed by an inserted mistake", True),
)
LABELS = {key: label for key, label, _ in METRICS}


def checkpoint_step(model: str, steps: dict[str, int] | None = None) -> int | None:
    """The training step of a model: ``steps[model]`` if given, else the ``@STEP`` suffix of
    an organism checkpoint, else ``None``."""
    if steps and model in steps:
        return int(steps[model])
    if model.startswith("organism:") and "@" in model:
        tail = model.rsplit("@", 1)[1]
        return int(tail) if tail.isdigit() else None
    return None


@dataclass
class Checkpoint:
    """One checkpoint's traces and where it sits along training."""

    model: str
    step: int
    tokens: int | None
    traces: list[Trace]


def group_checkpoints(traces: Sequence[Trace], steps: dict[str, int] | None = None,
                      tokens: Callable[[str], int | None] | None = None,
                      ) -> tuple[list[Checkpoint], list[str]]:
    """Traces grouped by model and ordered by step; models without a step are returned apart
    (their names) so the caller can say they were left out."""
    by_model: dict[str, list[Trace]] = {}
    for t in traces:
        by_model.setdefault(t.model.id, []).append(t)
    out, unplaced = [], []
    for model, group in by_model.items():
        step = checkpoint_step(model, steps)
        if step is None:
            unplaced.append(model)
            continue
        out.append(Checkpoint(model, step, tokens(model) if tokens else None, group))
    return sorted(out, key=lambda c: c.step), sorted(unplaced)


def _cell(d: dict[str, Any] | None) -> tuple[float | None, float | None, float | None, int]:
    if not d:
        return None, None, None, 0
    value = d.get("value", d.get("mean"))
    lo, hi = d.get("ci95") or (None, None)
    n = d.get("n", d.get("denominator", 0))
    return value, lo, hi, int(n or 0)


def measure_checkpoint(cp: Checkpoint, backend: Any = None, builder: Any = None,
                       faith_traces: int = 40, progress: bool = False) -> list[dict[str, Any]]:
    """Every metric of one checkpoint as tidy rows (the model-facing ones need ``backend`` and
    ``builder`` and use the first ``faith_traces`` traces)."""
    from ..behaviors import get_detector, label_traces
    from ..errors import check_traces
    from ..errors._run import summarize_errors

    traces = cp.traces
    problems = [t.problem_id for t in traces]
    cells: dict[str, dict[str, Any] | None] = {}
    graded = [t.correct for t in traces if t.correct is not None]
    cells["accuracy"] = proportion(sum(graded), len(graded)) if graded else None
    for det in ("keyword", "classifier"):
        res = label_traces(traces, get_detector(det), segments="sentences", progress=False)
        cells[f"backtracking_{det}"] = mean_cis(
            {"b": res.traces["frac_backtracking"].fillna(0.0).tolist()},
            res.traces["problem_id"].tolist())["b"]
    checked = check_traces(traces, "auto", progress=False)
    truth = checked[checked["gold_source"] == "chain-truth"]
    if len(truth) == len(checked) and len(checked):
        # exact ground truth of the organism's task: errors against the problem's true values
        cells["step_error_rate"] = ratio_ci(truth["n_truth_errors"].astype(int).tolist(),
                                            truth["n_checkable"].astype(int).tolist(),
                                            truth["problem_id"].tolist())
    else:  # other tasks: the symbolic checker, as the errors analysis reports it
        group = next(iter(summarize_errors(checked).get("groups", {}).values()), None)
        cells["step_error_rate"] = group["step_error_rate"] if group else None
    cells["cot_tokens"] = mean_cis({"n": [float(reasoning_tokens(t)[0]) for t in traces]},
                                   problems)["n"]
    if backend is not None and builder is not None:
        from ..faithfulness import early_answering, mistakes, summarize_early, summarize_mistakes

        sub = traces[:faith_traces]
        early = summarize_early(early_answering(sub, backend, builder, progress=progress))
        g = early["groups"].get(cp.model)
        cells["aoc"] = g["aoc"] if g else None
        mis = summarize_mistakes(mistakes(sub, backend, builder, progress=progress))
        g = mis["groups"].get(cp.model)
        cells["mistake_changed"] = g["continued"]["changed"] if g and "continued" in g else None
    rows = []
    for key, label, _ in METRICS:
        if key not in cells:
            continue
        value, lo, hi, n = _cell(cells[key])
        rows.append({"model": cp.model, "step": cp.step, "tokens": cp.tokens, "metric": key,
                     "label": label, "value": value, "ci_low": lo, "ci_high": hi, "n": n,
                     "n_traces": len(traces)})
    return rows


def longitudinal_table(checkpoints: Sequence[Checkpoint],
                       backend: Callable[[str], Any] | None = None,
                       builder: Callable[[str], Any] | None = None, faith_traces: int = 40,
                       progress: bool = True) -> pd.DataFrame:
    """One row per checkpoint x metric, in step order."""
    rows: list[dict[str, Any]] = []
    bar = progress_bar(total=len(checkpoints), desc="checkpoints", unit="ckpt",
                       disable=not progress)
    for cp in checkpoints:
        be = backend(cp.model) if backend else None
        bu = builder(cp.model) if builder and be is not None else None
        rows.extend(measure_checkpoint(cp, be, bu, faith_traces, progress=False))
        bar.update()
    bar.close()
    cols = ["model", "step", "tokens", "metric", "label", "value", "ci_low", "ci_high", "n",
            "n_traces"]
    return pd.DataFrame(rows, columns=cols)


def summarize_longitudinal(df: pd.DataFrame) -> dict[str, Any]:
    """Per metric: the first and last checkpoint's cells and whether their CIs are apart."""
    out: dict[str, Any] = {"n_checkpoints": int(df["model"].nunique()) if len(df) else 0,
                           "steps": sorted({int(s) for s in df["step"]}) if len(df) else [],
                           "metrics": {}}
    for key, grp in df.groupby("metric", sort=False):
        grp = grp.sort_values("step")
        first, last = grp.iloc[0], grp.iloc[-1]

        def cell(r: Any) -> dict[str, Any]:
            return {"step": int(r["step"]), "value": r["value"],
                    "ci95": [r["ci_low"], r["ci_high"]], "n": int(r["n"])}

        a, b = cell(first), cell(last)
        apart = None not in (*a["ci95"], *b["ci95"]) and (
            a["ci95"][1] < b["ci95"][0] or b["ci95"][1] < a["ci95"][0])
        out["metrics"][str(key)] = {"label": LABELS.get(str(key), str(key)), "first": a,
                                    "last": b, "cis_apart": bool(apart)}
    return out
