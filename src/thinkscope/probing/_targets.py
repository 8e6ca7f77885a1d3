"""Probe targets: functions of a trace (and a saved position) giving the label to decode.

Each target also says where the trace's own text first states the label (``stated_at``, a
character offset in the reasoning), so positions at or after it can be masked: a probe that
reads a value the model has already written down has found the text, not hidden computation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..registry import Registry
from ..traces import Trace

Label = Any


@dataclass(frozen=True)
class Target:
    """A named probe target.

    Attributes:
        name: what ``--target`` takes.
        description: one line for help texts and reports.
        labels: ``(trace, rows) -> labels`` for the metadata rows of one trace (``None``: the
            row has no label for this target).
        stated_at: ``trace -> char offset`` in the reasoning from which the text states the
            label (``None``: never stated in the reasoning).
        key: ``trace -> hashable`` that determines the label from the input's surface, for the
            control task (Hewitt & Liang 2019): the control label is a random function of it.
    """

    name: str
    description: str
    labels: Callable[[Trace, Any], list[Label | None]]
    stated_at: Callable[[Trace], int | None]
    key: Callable[[Trace], Any]


def _whole(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(value)}(?![\w])")


def _first(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return m.start() if m else None


def _question(trace: Trace) -> str:
    from ..traces import question_of

    return question_of(trace)


def _answer_stated(trace: Trace) -> int | None:
    """Where the reasoning first writes the trace's final answer."""
    return _first(_whole(trace.extracted_answer), trace.reasoning) \
        if trace.extracted_answer else None


def _final_answer() -> Target:
    def labels(trace: Trace, rows: Any) -> list[Label | None]:
        return [trace.extracted_answer] * len(rows)

    return Target("final_answer", "the trace's final answer (as extracted)", labels,
                  _answer_stated, _question)


def _chain(trace: Trace) -> Any:
    return _parse_chain(_question(trace))


@lru_cache(maxsize=65536)
def _parse_chain(question: str) -> Any:
    from ..analyze.errors import parse_chain_question

    return parse_chain_question(question)


def _intermediate(i: int) -> Target:
    """Value after step ``i`` (1-based) of a modular chain (the organisms' task)."""

    def value(trace: Trace) -> int | None:
        p = _chain(trace)
        return p.values[i - 1] if p is not None and p.k > i else None

    def labels(trace: Trace, rows: Any) -> list[Label | None]:
        return [value(trace)] * len(rows)

    def stated(trace: Trace) -> int | None:
        v = value(trace)
        if v is None:
            return None
        m = re.search(rf"=\s*({v})(?!\d)", trace.reasoning)
        return m.start(1) if m else None

    def key(trace: Trace) -> Any:
        p = _chain(trace)
        return (p.start, p.ops[:i]) if p is not None else None

    return Target(f"intermediate_{i}", f"value after step {i} of a chain (never the final "
                  "answer: chains of more steps only)", labels, stated, key)


_LEADING_NUMBER = re.compile(r"-?\$?\s*(\d[\d,]*)")


def answer_digits(answer: str | None) -> str | None:
    """Digits in the integer part of a numeric answer, as a class: ``1``, ``2``, ``3``, ``4+``
    (``None`` when the answer is not a number)."""
    m = _LEADING_NUMBER.match(answer.strip()) if answer else None
    if m is None:
        return None
    n = len(m.group(1).replace(",", "").lstrip("0") or "0")
    return str(n) if n < 4 else "4+"


def _answer_digits() -> Target:
    """The size of the answer the model is about to write: a few classes where the answer
    itself has one class per number (GSM8K), so an answer-before-the-CoT probe has a target
    with support; masked once the text states the answer."""
    def labels(trace: Trace, rows: Any) -> list[Label | None]:
        return [answer_digits(trace.extracted_answer)] * len(rows)

    return Target("answer_digits", "digits of the trace's numeric final answer (1, 2, 3, 4+)",
                  labels, _answer_stated, _question)


def _correct() -> Target:
    def labels(trace: Trace, rows: Any) -> list[Label | None]:
        return [None if trace.correct is None else int(trace.correct)] * len(rows)

    return Target("correct", "whether the trace's final answer turns out right (Zhang et al. "
                  "2025)", labels, lambda t: None, _question)


def _next_backtrack() -> Target:
    def labels(trace: Trace, rows: Any) -> list[Label | None]:
        from ..analyze.behaviors import get_detector, trace_segments

        segs = trace_segments(trace, "auto")
        pred = get_detector("keyword").predict(segs)
        out: list[Label | None] = []
        for j in rows["segment_index"]:
            j = int(j)
            out.append(int(pred[j + 1] == "backtracking") if 0 <= j and j + 1 < len(pred)
                       else None)
        return out

    return Target("next_backtrack", "whether the next sentence backtracks (keyword detector)",
                  labels, lambda t: None, _question)


TARGETS: Registry[Callable[..., Target]] = Registry("target")
TARGETS.add("final_answer", _final_answer, "the trace's final answer (one class per answer)")
TARGETS.add("answer_digits", _answer_digits, "the answer's size in digits (GSM8K-style "
            "answers: an answer-before-CoT probe with few classes)")
TARGETS.add("correct", _correct, "whether the final answer turns out right")
TARGETS.add("next_backtrack", _next_backtrack, "whether the next sentence backtracks "
            "(keyword detector)")
TARGETS.add("intermediate_N", _intermediate, "the value after step N (N >= 1) of the chain, "
            "written or not")
TARGET_NAMES = tuple(TARGETS)


def get_target(name: str) -> Target:
    """A target by name: ``final_answer``, ``answer_digits``, ``correct``, ``next_backtrack``
    or ``intermediate_N`` (N >= 1)."""
    m = re.fullmatch(r"intermediate_(\d+)", name)
    if m and int(m.group(1)) >= 1:
        return _intermediate(int(m.group(1)))
    if name != "intermediate_N" and name in TARGETS:
        return TARGETS[name]()
    raise KeyError(TARGETS.unknown(name))


def target_table(target: Target, traces: dict[str, Trace], meta: Any) -> Any:
    """``meta`` with ``label``, ``masked`` (text already states it) and ``control_key`` columns;
    rows whose trace is unknown or that have no label are dropped."""
    import pandas as pd

    parts = []
    for tid, rows in meta.groupby("trace_id", sort=False):
        trace = traces.get(tid)
        if trace is None:
            continue
        rows = rows.copy()
        rows["label"] = target.labels(trace, rows)
        at = target.stated_at(trace)
        rows["masked"] = (rows["region"] != "prompt") & (at is not None) & \
            (rows["char_end"] > (at if at is not None else 0))
        rows["control_key"] = repr(target.key(trace))
        parts.append(rows)
    if not parts:
        return meta.iloc[0:0].assign(label=[], masked=[], control_key=[])
    out = pd.concat(parts, ignore_index=True)
    return out[out["label"].notna()].reset_index(drop=True)
