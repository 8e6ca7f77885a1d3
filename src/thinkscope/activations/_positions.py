"""Which token positions of a trace get their activations saved: one rule per name.

Every rule yields :class:`Position` rows with a ``key`` that lines positions up across traces
(``last_prompt``, ``sent3``, ``filler12``, ``prompt-5`` = five tokens before the prompt's end), so
probes can be trained per layer x position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..text import segment_text
from ._tokens import TraceTokens

FILLER_CHARS = frozenset(".\u2026\u00b7")


class Position(NamedTuple):
    """One saved position of one trace (a named tuple: one is made per saved token, and the
    metadata table is built from them column by column)."""

    rule: str
    key: str
    #: index in the full sequence (prompt + completion)
    position: int
    #: ``prompt``, ``cot`` or ``answer``
    region: str
    #: characters of the region's text covered once this token is read
    char_end: int
    #: sentence index in the CoT (``-1`` outside it)
    segment_index: int = -1


def _region(tt: TraceTokens, i: int) -> str:
    return "cot" if tt.char_ends[i] <= tt.cot_end else "answer"


def _completion(tt: TraceTokens, rule: str, i: int, key: str, seg: int = -1) -> Position:
    return Position(rule, key, len(tt.prompt_ids) + i, _region(tt, i), tt.char_ends[i], seg)


def last_prompt(tt: TraceTokens) -> list[Position]:
    """The last prompt token: what the model knows before writing anything."""
    n = len(tt.prompt_ids)
    return [Position("last_prompt", "last_prompt", n - 1, "prompt",
                     tt.prompt_char_ends[-1] if tt.prompt_char_ends else 0)]


def prompt(tt: TraceTokens) -> list[Position]:
    """Every prompt token, keyed by its distance from the prompt's end."""
    n = len(tt.prompt_ids)
    return [Position("prompt", f"prompt-{n - 1 - i}", i, "prompt", tt.prompt_char_ends[i])
            for i in range(n)]


def cot(tt: TraceTokens) -> list[Position]:
    """Every CoT token, keyed by its index in the CoT."""
    n = tt.tokens_covering(tt.cot_end) if tt.cot_end else 0
    return [_completion(tt, "cot", i, f"cot{i}") for i in range(n)]


def sentence_ends(tt: TraceTokens) -> list[Position]:
    """The token that ends each CoT sentence (or line), keyed by sentence index."""
    out: list[Position] = []
    seen: set[int] = set()
    reasoning = tt.completion_text[: tt.cot_end]
    sentences = [s for s in segment_text(reasoning, "sentence", line_breaks=True)
                 if s.text.strip()]
    for j, s in enumerate(sentences):
        i = tt.tokens_covering(s.start + len(s.text.rstrip())) - 1
        if i < 0 or i in seen:
            continue
        seen.add(i)
        out.append(_completion(tt, "sentence_ends", i, f"sent{j}", j))
    return out


def filler(tt: TraceTokens) -> list[Position]:
    """CoT tokens that are only filler (dots), keyed by their ordinal among filler tokens."""
    out: list[Position] = []
    n = tt.tokens_covering(tt.cot_end) if tt.cot_end else 0
    start = 0
    for i in range(n):
        piece = tt.completion_text[start: tt.char_ends[i]]
        start = tt.char_ends[i]
        body = piece.strip()
        if body and set(body) <= FILLER_CHARS:
            out.append(_completion(tt, "filler", i, f"filler{len(out)}"))
    return out


def answer(tt: TraceTokens) -> list[Position]:
    """The token right before the final answer: the position that predicts its first token."""
    if tt.answer_start is None:
        return []
    n = tt.tokens_before(tt.answer_start)
    if n == 0:
        return [Position("answer", "answer", len(tt.prompt_ids) - 1, "prompt",
                         tt.prompt_char_ends[-1] if tt.prompt_char_ends else 0)]
    return [_completion(tt, "answer", n - 1, "answer")]


POSITION_RULES: dict[str, Callable[[TraceTokens], list[Position]]] = {
    "last_prompt": last_prompt,
    "prompt": prompt,
    "cot": cot,
    "sentence_ends": sentence_ends,
    "filler": filler,
    "answer": answer,
}


def parse_rules(spec: str | Iterable[str]) -> list[str]:
    """``"last_prompt,sentence_ends"`` -> rule names, checked against :data:`POSITION_RULES`."""
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)
             if s.strip()]
    bad = [n for n in names if n not in POSITION_RULES]
    if bad or not names:
        raise ValueError(f"unknown position rule(s) {', '.join(bad) or '(none)'}; valid: "
                         f"{', '.join(POSITION_RULES)}")
    return names


def select_positions(tt: TraceTokens, rules: Iterable[str]) -> list[Position]:
    """Positions of one trace under several rules (a position chosen by two rules appears
    once per rule: its rows differ in ``rule`` and ``key``)."""
    out: list[Position] = []
    for r in rules:
        out.extend(POSITION_RULES[r](tt))
    return out
