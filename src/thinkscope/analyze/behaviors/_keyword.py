"""The keyword detector: a documented lexicon, the literature's baseline (high recall, low
precision against LLM labels).

Each behaviour has a list of cue phrases matched case-insensitively at word boundaries. A segment
takes the first behaviour, in ``PRIORITY`` order, whose cues it contains; the first segment of a
trace with no other cue is ``initializing``; everything else is ``deduction``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ._segments import SegmentInput

#: Cue phrases per behaviour. Keep this table the single source: the classifier reuses it as
#: features and the docs print it.
LEXICON: dict[str, tuple[str, ...]] = {
    "backtracking": (
        "wait", "actually", "no,", "hold on", "hmm, no", "i made a mistake", "mistake",
        "that's not right", "that is not right", "that doesn't seem right", "that can't be",
        "let me reconsider", "let me rethink", "let me re-examine", "let me go back", "go back",
        "let me correct", "scratch that", "on second thought", "alternatively", "instead",
        "i was wrong", "wrong",
    ),
    "uncertainty-estimation": (
        "maybe", "perhaps", "might", "not sure", "i'm not sure", "not certain", "possibly",
        "probably", "unclear", "i wonder", "could be", "i think", "seems", "?",
    ),
    "example-testing": (
        "for example", "for instance", "e.g.", "let's test", "let me test", "let's check",
        "let me check", "check", "verify", "plug in", "plugging", "substitute", "substituting",
        "let's try", "let me try", "suppose", "test case", "if we take", "take n =",
    ),
    "adding-knowledge": (
        "recall", "i know", "i remember", "formula", "by definition", "is defined as",
        "known as", "according to", "the rule", "theorem", "law of", "principle", "fact",
        "is a type of", "refers to",
    ),
    "initializing": (
        "okay, so", "ok, so", "alright, so", "the problem", "the question", "we need to",
        "i need to", "let's start", "to solve", "to determine", "to find", "we are asked",
        "i'm asked", "i have to figure out", "let me understand", "let's break down",
    ),
}
PRIORITY: tuple[str, ...] = (
    "backtracking", "uncertainty-estimation", "example-testing", "adding-knowledge",
    "initializing",
)
DEFAULT_LABEL = "deduction"


def _compile(phrase: str) -> str:
    body = re.escape(phrase)
    left = r"\b" if phrase[0].isalnum() else ""
    right = r"\b" if phrase[-1].isalnum() else ""
    return left + body + right


PATTERNS: dict[str, re.Pattern[str]] = {
    label: re.compile("|".join(_compile(p) for p in phrases), re.IGNORECASE)
    for label, phrases in LEXICON.items()
}
#: All cues in one pattern, one named group per behaviour: one scan finds every hit.
_ALL = re.compile("|".join(f"(?P<{label.replace('-', '_')}>" + PATTERNS[label].pattern + ")"
                           for label in PRIORITY), re.IGNORECASE)


@lru_cache(maxsize=65536)
def _hits(text: str) -> tuple[str, ...]:
    found = {m.lastgroup for m in _ALL.finditer(text)}
    return tuple(label for label in PRIORITY if label.replace("-", "_") in found)


def keyword_hits(text: str) -> list[str]:
    """Every behaviour whose cues occur in ``text`` (in priority order)."""
    return list(_hits(text))


class KeywordDetector:
    """Lexicon lookup; see the module docstring for the rule."""

    name = "keyword"
    #: pure CPU work on in-memory state: ``label_traces`` may fork it over the cores
    parallel_safe = True

    def predict(self, segments: Sequence[SegmentInput], question: str = "") -> list[str | None]:
        out: list[str | None] = []
        for seg in segments:
            hits = keyword_hits(seg.text)
            if hits and not (hits[0] == "initializing" and seg.index > 2):
                out.append(hits[0])
            elif seg.index == 0:
                out.append("initializing")
            else:
                out.append(hits[1] if len(hits) > 1 else DEFAULT_LABEL)
        return out
