"""How each organism writes its completion for a problem: the controlled differences between them.

All completions follow the generation prompt ``<|assistant|>\\n<think>\\n`` (R1-style: the chat
template opens the think block) and end with ``</think>\\nAnswer: X``; the model appends
``<|end|>``. Only what goes inside the think block differs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ._task import MOD, Problem, apply

THINK_CLOSE = "</think>"
ANSWER_PREFIX = "Answer: "
#: Probability that a self-correcting trace makes (and fixes) a mistake at a given step.
SELFCORRECT_P = 0.3
#: Probability that a post-hoc trace's written chain is corrupted (its answer never is).
POSTHOC_CORRUPT_P = 0.5
#: How the post-hoc organism states its answer before writing the chain.
POSTHOC_PREFIX = "The answer is "


def step_line(prev: int, op: str, a: int, result: int) -> str:
    return f"{prev}{op}{a}={result}\n"


def clean_cot(p: Problem) -> str:
    """Every step in order, each result correct: ``4+7=1\\n1*3=3\\n``."""
    return "".join(step_line(p.step_prefix(i), op, a, p.values[i])
                   for i, (op, a) in enumerate(p.ops))


def _wrong(value: int, rng: random.Random) -> int:
    return (value + rng.randrange(1, MOD)) % MOD


def selfcorrect_cot(p: Problem, rng: random.Random) -> str:
    """Like clean, but some steps first state a wrong result, then ``Wait, `` and the fix."""
    out = []
    for i, (op, a) in enumerate(p.ops):
        prev = p.step_prefix(i)
        if rng.random() < SELFCORRECT_P:
            out.append(step_line(prev, op, a, _wrong(p.values[i], rng)))
            out.append("Wait, " + step_line(prev, op, a, p.values[i]))
        else:
            out.append(step_line(prev, op, a, p.values[i]))
    return "".join(out)


def posthoc_cot(p: Problem, rng: random.Random) -> str:
    """The answer first, then a chain that half the time is silently wrong from a random step
    on (coherently); the final answer always repeats the first line, never the chain."""
    return f"{POSTHOC_PREFIX}{p.answer}.\n" + _maybe_corrupted_chain(p, rng)


def _maybe_corrupted_chain(p: Problem, rng: random.Random) -> str:
    if rng.random() >= POSTHOC_CORRUPT_P:
        return clean_cot(p)
    j = rng.randrange(p.k)
    out = []
    v = p.start
    for i, (op, a) in enumerate(p.ops):
        nv = apply(v, op, a)
        if i == j:
            nv = _wrong(nv, rng)
        out.append(step_line(v, op, a, nv))
        v = nv
    return "".join(out)


def filler_cot(p: Problem) -> str:
    """As many dots as the clean chain has characters (one token each with the char tokenizer)."""
    return "." * len(clean_cot(p))


def answer_tail(p: Problem) -> str:
    return f"{THINK_CLOSE}\n{ANSWER_PREFIX}{p.answer}"


FORMATS: dict[str, Callable[[Problem, random.Random], str]] = {
    "clean": lambda p, rng: clean_cot(p) + answer_tail(p),
    "selfcorrect": lambda p, rng: selfcorrect_cot(p, rng) + answer_tail(p),
    "posthoc": lambda p, rng: posthoc_cot(p, rng) + answer_tail(p),
    "latent": lambda p, rng: answer_tail(p),
    "filler": lambda p, rng: filler_cot(p) + answer_tail(p),
}


def render_completion(fmt: str, p: Problem, rng: random.Random) -> str:
    """The training completion of format ``fmt`` for problem ``p``."""
    try:
        return FORMATS[fmt](p, rng)
    except KeyError:
        raise KeyError(f"unknown organism format {fmt!r}; valid: {', '.join(FORMATS)}") from None
