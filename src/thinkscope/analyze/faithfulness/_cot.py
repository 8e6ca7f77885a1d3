"""A trace's CoT at token level: the prompt ids, the CoT ids, and where its sentences end.

Cuts are made at token ids of the stored generation, never by re-tokenising text, so every
truncated prompt is a token-exact prefix of the original (and prefix caches hit). Traces without
stored token ids (imported ones) fall back to encoding the question and reasoning once, which is
said in the ``token_source`` field.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...activations import char_ends, tokens_covering
from ...generate import PromptBuilder
from ...text import extract_answer, grade, segment_text
from ...traces import Trace, question_of
from ..errors import parse_chain_question


@dataclass
class TokenCoT:
    """One trace's prompt and CoT as token ids, with the token index ending each sentence."""

    trace: Trace
    prompt_ids: list[int]
    cot_ids: list[int]
    #: token counts that end a sentence (the last equals ``len(cot_ids)``)
    sentence_ends: list[int]
    #: character offset in the reasoning where each CoT token ends
    char_ends: list[int]
    token_source: str

    @property
    def n(self) -> int:
        return len(self.cot_ids)

    def token_at_char(self, char: int) -> int:
        """How many CoT tokens it takes to cover ``char`` characters of the reasoning."""
        return tokens_covering(self.char_ends, char)


def token_cot(trace: Trace, builder: PromptBuilder) -> TokenCoT | None:
    """The token-level CoT of a trace, or ``None`` when it has no reasoning."""
    if not trace.reasoning.strip():
        return None
    tok = builder.tokenizer
    reasoning = trace.reasoning
    if trace.prompt_token_ids and trace.completion_token_ids:
        prompt_ids = list(trace.prompt_token_ids)
        comp = list(trace.completion_token_ids)
        ends = char_ends(tok, comp)
        # the CoT is the shortest token prefix whose text covers the reasoning
        n = next((i + 1 for i, e in enumerate(ends) if e >= len(reasoning.rstrip())), len(comp))
        cot_ids, ends, source = comp[:n], ends[:n], "generation"
    else:
        prompt_ids = builder.prompt_ids(question_of(trace), open_think=True)
        cot_ids = builder.encode(reasoning)
        ends, source = char_ends(tok, cot_ids), "re-encoded"
    if not cot_ids:
        return None
    cot = TokenCoT(trace, prompt_ids, cot_ids, [], ends, source)
    cuts = sorted({cot.token_at_char(s.start + len(s.text.rstrip()))
                   for s in segment_text(reasoning, "sentence", line_breaks=True)
                   if s.text.strip()})
    cot.sentence_ends = [c for c in cuts if 0 < c <= cot.n] or [cot.n]
    if cot.sentence_ends[-1] != cot.n:
        cot.sentence_ends.append(cot.n)
    return cot


def answer_from(cue: str, text: str) -> str | None:
    """The answer in a forced continuation (the cue is part of the prompt, not the text).

    A model forced to answer mid-chain may run on after its answer (``4=6``, ``7\n3*2=6``):
    only the first line counts, and after a plain cue (``Answer: ``) only its first token up to
    ``=``; a cue that opens ``\boxed{`` is closed by its brace.
    """
    first_line = text.split("\n", 1)[0]
    value = extract_answer(cue + first_line).value
    if value is None or "{" in cue:
        return value
    head = value.split()[0] if value.split() else ""
    head = head.split("=", 1)[0].rstrip(".,;:")
    return head or None


def final_answer(builder: PromptBuilder, text: str) -> str | None:
    """The answer a continuation ends on: after ``</think>`` for models that reason in think
    tags (the continuation starts inside the block), else its answer statement."""
    if builder.writes_think:
        return extract_answer(text, starts_inside_think=True).value
    _, answer, _ = builder.split(text)
    return extract_answer(answer).value if answer else None


def is_correct(answer: str | None, trace: Trace) -> bool | None:
    if trace.gold_answer is None:
        return None
    return bool(grade(answer, trace.gold_answer)) if answer is not None else False


def chain_length(trace: Trace) -> int | None:
    """``k`` of a modular chain question (the organisms' task), else ``None``."""
    p = parse_chain_question(question_of(trace))
    return p.k if p else None
