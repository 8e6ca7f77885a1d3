"""Features for the behaviour classifier, as one text document per segment.

The segment's words (numbers folded to ``0`` so arithmetic does not fill the vocabulary) are
followed by marker tokens for what a word model cannot see: the segment's position in the trace,
its first words, the previous segment's first word, the keyword lexicon's hits, its length and
how much of it is mathematics. Putting everything in one document keeps the fitted artifact to a
vocabulary, IDF weights and coefficients — no pickled objects.
"""

from __future__ import annotations

import re

from ._keyword import keyword_hits
from ._segments import SegmentInput

_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z][a-z'\-]*")
_MATHCH = re.compile(r"[\d=+\-*/^\\$(){}<>]")


def _first_words(text: str, n: int) -> list[str]:
    return _WORD.findall(text.lower()[:80])[:n]


def _bucket(value: float, edges: tuple[float, ...]) -> int:
    return sum(value >= e for e in edges)


def segment_document(seg: SegmentInput) -> str:
    """The text the classifier's vectoriser reads for one segment."""
    text = seg.text
    words = _NUM.sub("0", text.lower())
    markers = []
    first = _first_words(text, 2)
    if first:
        markers.append(f"zzstart_{first[0]}")
        if len(first) > 1:
            markers.append(f"zzstart2_{first[0]}_{first[1]}")
    prev = _first_words(seg.previous, 1)
    markers.append(f"zzprev_{prev[0]}" if prev else "zzprev_none")
    markers.extend(f"zzprevkw_{h.replace('-', '_')}" for h in keyword_hits(seg.previous[:200]))
    nxt = _first_words(seg.following, 1)
    markers.append(f"zznext_{nxt[0]}" if nxt else "zznext_none")
    if seg.index == 0:
        markers.append("zzfirst")
    if seg.index == seg.n_segments - 1:
        markers.append("zzlast")
    rel = seg.index / max(1, seg.n_segments - 1)
    markers.append(f"zzpos{_bucket(rel, (0.1, 0.3, 0.6, 0.9))}")
    markers.append(f"zzidx{min(seg.index, 4)}")
    markers.extend(f"zzkw_{h.replace('-', '_')}" for h in keyword_hits(text))
    n_words = len(text.split())
    markers.append(f"zzlen{_bucket(n_words, (6, 12, 25, 50))}")
    math_frac = len(_MATHCH.findall(text)) / max(1, len(text))
    markers.append(f"zzmath{_bucket(math_frac, (0.05, 0.15, 0.3))}")
    if "?" in text:
        markers.append("zzquestion")
    return words + " " + " ".join(markers)
