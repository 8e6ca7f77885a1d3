"""Sentence / step segmentation with exact character offsets.

spaCy's rule-based ``sentencizer`` on a blank English pipeline does the sentence splitting (no
model download needed). Before it runs, LaTeX math is masked with same-length filler so that a
"." inside ``$x = 1.5$`` or ``\\boxed{}`` never ends a sentence, and blank lines are hard breaks.
Segments tile the text: each one owns its trailing whitespace, so
``"".join(s.text for s in segments) == text`` byte for byte, and ``start``/``end`` index the
original string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ._math import find_math_spans, mask_spans

_PARA_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE_BREAK = re.compile(r"\n\s*")
# A "sentence" that is only a list marker ("1.", "b)", "**") belongs to the text after it.
_MARKER = re.compile(r"^(?:\(?(?:\d{1,3}|[a-zA-Z]|[ivxlcIVXLC]{1,5})[.)]|[*_#>\-\u2022]+)[\s*_#]*$")

Unit = Literal["sentence", "paragraph", "line"]


@dataclass(frozen=True)
class Segment:
    """A piece of text at ``[start, end)`` of the source, trailing whitespace included."""

    index: int
    start: int
    end: int
    text: str
    paragraph: int

    @property
    def stripped(self) -> str:
        """The segment without surrounding whitespace (what a reader calls the sentence)."""
        return self.text.strip()


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _paragraph_starts(masked: str, pattern: re.Pattern[str]) -> list[int]:
    return [m.end() for m in pattern.finditer(masked) if m.end() < len(masked)]


def _tile(text: str, starts: list[int], paragraph_of: dict[int, int]) -> list[Segment]:
    """Cut text at the given starts; whitespace-only pieces merge into the previous segment."""
    cuts = sorted(set(s for s in starts if 0 < s < len(text)))
    bounds = [0, *cuts, len(text)]
    segments: list[Segment] = []
    para = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        para = paragraph_of.get(a, para)
        piece = text[a:b]
        if segments and not piece.strip():
            last = segments[-1]
            segments[-1] = Segment(last.index, last.start, b, text[last.start : b], last.paragraph)
            continue
        segments.append(Segment(len(segments), a, b, piece, para))
    return segments


def segment_text(text: str, unit: Unit = "sentence", line_breaks: bool = False) -> list[Segment]:
    """Split ``text`` into sentences, paragraphs or lines with exact offsets.

    Results are memoised per text (segments are immutable), so the analyzers that run one after
    the other over the same traces (behaviours, step errors, truncation) segment each trace once.

    Args:
        text: the reasoning text.
        unit: ``sentence`` (spaCy sentencizer within paragraphs), ``paragraph`` (blank lines)
            or ``line`` (every newline).
        line_breaks: for ``sentence``, also break at single newlines (step-per-line traces).
    """
    return list(_segment_cached(text, unit, line_breaks))


@lru_cache(maxsize=8192)
def _segment_cached(text: str, unit: Unit, line_breaks: bool) -> tuple[Segment, ...]:
    return tuple(_segment(text, unit, line_breaks))


#: Longest whitespace-free run handed to spaCy as it is. Its tokenizer strips affixes one at a
#: time with a regex search over the rest of the token, so its cost grows with the square of a
#: token's length (an 80 KB run of brackets took minutes); real words are far shorter.
MAX_RUN = 100
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN}}}")


def _break_long_runs(masked: str) -> str:
    """The masked text with a space written over every ``MAX_RUN``-th character of a long
    whitespace-free run: same length (offsets stay exact), linear tokenizing."""
    if len(masked) < MAX_RUN:
        return masked
    return _LONG_RUN.sub(lambda m: m.group(0)[:-1] + " ", masked)


def _segment(text: str, unit: Unit, line_breaks: bool) -> list[Segment]:
    if not text:
        return []
    masked = _break_long_runs(mask_spans(text, find_math_spans(text)))
    if unit == "line":
        starts = _paragraph_starts(masked, _LINE_BREAK)
        return _tile(text, starts, {s: i + 1 for i, s in enumerate(starts)})
    para_starts = _paragraph_starts(masked, _PARA_BREAK)
    paragraph_of = {s: i + 1 for i, s in enumerate(para_starts)}
    if unit == "paragraph":
        return _tile(text, para_starts, paragraph_of)
    blocks_starts = (
        _paragraph_starts(masked, _LINE_BREAK) if line_breaks else para_starts
    )
    bounds = [0, *blocks_starts, len(masked)]
    nlp = _nlp()
    longest = max(b - a for a, b in zip(bounds[:-1], bounds[1:]))
    nlp.max_length = max(nlp.max_length, longest + 1)
    pieces = [masked[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    starts = list(blocks_starts)
    for offset, doc in zip(bounds[:-1], nlp.pipe(pieces, batch_size=64)):
        for sent in doc.sents:
            # spaCy makes newlines tokens of their own; a sentence starts at its first non-space.
            start = offset + sent.start_char
            while start < len(masked) and masked[start].isspace():
                start += 1
            starts.append(start)
    return _merge_markers(_tile(text, starts, paragraph_of), text)


def _merge_markers(segments: list[Segment], text: str) -> list[Segment]:
    """Join list-marker-only segments ("1.", "**") to the segment that follows them."""
    out: list[Segment] = []
    pending: Segment | None = None
    for seg in segments:
        if pending is not None:
            start = pending.start
            seg = Segment(0, start, seg.end, text[start : seg.end], pending.paragraph)
            pending = None
        if _MARKER.match(seg.stripped) and seg is not segments[-1]:
            pending = seg
            continue
        out.append(Segment(len(out), seg.start, seg.end, seg.text, seg.paragraph))
    if pending is not None:
        out.append(Segment(len(out), pending.start, pending.end, pending.text, pending.paragraph))
    return out


def segment_sentences(text: str, line_breaks: bool = False) -> list[Segment]:
    """Sentences of ``text`` (see ``segment_text``)."""
    return segment_text(text, "sentence", line_breaks=line_breaks)
