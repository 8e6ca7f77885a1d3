"""A stored trace as the token sequence a teacher-forced pass runs over, with character offsets.

Stored generation ids are used as they are (the activations then belong to exactly the tokens
the model produced); imported traces without ids are encoded once from the question, reasoning
and answer, which the metadata says (``token_source``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..generate import PromptBuilder
from ..traces import Trace

THINK_CLOSE = "</think>"


@dataclass
class TraceTokens:
    """Prompt and completion ids of one trace, and where their text lies."""

    trace: Trace
    prompt_ids: list[int]
    completion_ids: list[int]
    prompt_text: str
    completion_text: str
    #: characters of the prompt text covered after each prompt token
    prompt_char_ends: list[int]
    #: characters of the completion text covered after each completion token
    char_ends: list[int]
    #: character offset in the completion where the CoT ends (``</think>`` or the end)
    cot_end: int
    #: character offset in the completion where the final answer starts (``None``: not found)
    answer_start: int | None
    token_source: str

    @property
    def ids(self) -> list[int]:
        return self.prompt_ids + self.completion_ids

    def tokens_before(self, char: int) -> int:
        """How many completion tokens end at or before ``char``."""
        n = 0
        for end in self.char_ends:
            if end > char:
                break
            n += 1
        return n

    def tokens_covering(self, char: int) -> int:
        """How many completion tokens it takes to cover the first ``char`` characters."""
        return tokens_covering(self.char_ends, char)


def tokens_covering(ends: list[int], char: int) -> int:
    """How many tokens (with text ending at ``ends``) it takes to cover ``char`` characters."""
    for i, end in enumerate(ends):
        if end >= char:
            return i + 1
    return len(ends)


def char_ends(tokenizer: Any, ids: list[int], cache: dict[int, str] | None = None) -> list[int]:
    """Length of the decoded text after each token.

    Decoding each token on its own and summing is linear, but wrong where a character spans
    several byte-level tokens or a tokenizer decodes a token differently in context (leading
    spaces, clean-up of spaces before punctuation). The sums are checked against the full decode
    and three prefix decodes, and the quadratic incremental decode is used when any differs.
    ``cache`` keeps single-token decodes across calls.
    """
    if not ids:
        return []
    cache = {} if cache is None else cache
    pieces = []
    for i in ids:
        piece = cache.get(i)
        if piece is None:
            piece = cache[i] = tokenizer.decode([i], skip_special_tokens=False)
        pieces.append(piece)
    full = tokenizer.decode(ids, skip_special_tokens=False)
    if "".join(pieces) == full:
        out, n = [], 0
        for p in pieces:
            n += len(p)
            out.append(n)
        probes = {len(ids) // 4, len(ids) // 2, 3 * len(ids) // 4} - {0}
        if all(len(tokenizer.decode(ids[:i], skip_special_tokens=False)) == out[i - 1]
               for i in probes):
            return out
    return [len(tokenizer.decode(ids[:i], skip_special_tokens=False))
            for i in range(1, len(ids) + 1)]


def _answer_start(text: str, cot_end: int, answer: str | None) -> int | None:
    if not answer:
        return None
    at = text.rfind(answer, cot_end)
    return at if at >= 0 else None


def trace_tokens(trace: Trace, builder: PromptBuilder, cache: dict[int, str] | None = None
                 ) -> TraceTokens:
    """The token sequence of ``trace`` (stored ids when present, else encoded once); ``cache``
    keeps single-token decodes across traces."""
    tok = builder.tokenizer
    if trace.prompt_token_ids and trace.completion_token_ids:
        prompt_ids = list(trace.prompt_token_ids)
        comp_ids = list(trace.completion_token_ids)
        if tok.eos_token_id is not None and comp_ids and comp_ids[-1] == tok.eos_token_id:
            comp_ids = comp_ids[:-1]
        source = "generation"
    else:
        from ..traces import question_of

        prompt_ids = builder.prompt_ids(question_of(trace), open_think=True)
        body = trace.reasoning + ("\n" + THINK_CLOSE + "\n\n" + trace.answer
                                  if trace.answer else "")
        comp_ids = builder.encode(body)
        source = "re-encoded"
    ends = char_ends(tok, comp_ids, cache)
    text = tok.decode(comp_ids, skip_special_tokens=False)
    close = text.find(THINK_CLOSE)
    cot_end = close if close >= 0 else len(text)
    return TraceTokens(
        trace=trace, prompt_ids=prompt_ids, completion_ids=comp_ids,
        prompt_text=tok.decode(prompt_ids, skip_special_tokens=False), completion_text=text,
        prompt_char_ends=char_ends(tok, prompt_ids, cache), char_ends=ends, cot_end=cot_end,
        answer_start=_answer_start(text, cot_end, trace.extracted_answer), token_source=source,
    )
