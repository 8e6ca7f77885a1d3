"""What a detector sees of a segment: its text and its place in the trace."""

from __future__ import annotations

from dataclasses import dataclass

from ...text import segment_text
from ...traces import Trace
from ._labels import normalise_label


@dataclass(frozen=True)
class SegmentInput:
    """One segment to label, with the context detectors may use."""

    text: str
    index: int
    n_segments: int
    previous: str = ""
    following: str = ""
    gold: str | None = None


def trace_segments(trace: Trace, source: str = "gold") -> list[SegmentInput]:
    """The segments of a trace: gold segments (with their labels) when ``source == "gold"`` and
    the trace has them, else sentences and lines of the reasoning (the same units the step-error
    analyzer judges), without gold labels."""
    gold = trace.annotations.segments if trace.annotations else None
    if source == "gold" and gold:
        items = [(g.text.strip(), normalise_label(g.label)) for g in gold]
    else:
        items = [(s.stripped, None)
                 for s in segment_text(trace.reasoning, "sentence", line_breaks=True)
                 if s.stripped]
    n = len(items)
    return [SegmentInput(text, i, n, items[i - 1][0] if i else "",
                         items[i + 1][0] if i + 1 < n else "", label)
            for i, (text, label) in enumerate(items)]
