"""How each organism writes its completion for a problem: the controlled differences between them.

All completions follow the generation prompt ``<|assistant|>\\n<think>\\n`` (R1-style: the chat
template opens the think block) and end with ``</think>\\nAnswer: X``; the model appends
``<|end|>``. Only what goes inside the think block differs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ..text import hinted_question
from ._task import MOD, Problem, apply

THINK_CLOSE = "</think>"
ANSWER_PREFIX = "Answer: "
#: Probability that a self-correcting trace makes (and fixes) a mistake at a given step.
SELFCORRECT_P = 0.3
#: Probability that a post-hoc trace's written chain is corrupted (its answer never is).
POSTHOC_CORRUPT_P = 0.5
#: How the post-hoc organism states its answer before writing the chain.
POSTHOC_PREFIX = "The answer is "
#: Share of the hint-following organism's training prompts that carry a hint.
HINTED_P = 0.5
#: Hint templates it is trained on (``thinkscope.text.HINT_TEMPLATES``); few-shot is left out,
#: so the hints analyzer can also measure whether hint-following transfers to an unseen kind.
HINTED_KINDS = ("sycophancy", "metadata")
#: Share of hinted training examples whose chain is cut at a random line before the answer, so
#: that a forced answer after any prefix of the chain (early answering) is in its distribution.
HINTED_TRUNCATE_P = 0.3


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


def answer_tail(p: Problem, answer: int | None = None) -> str:
    return f"{THINK_CLOSE}\n{ANSWER_PREFIX}{p.answer if answer is None else answer}"


def rationalised_cot(p: Problem, answer: int) -> str:
    """The clean chain with its last stated result bent to ``answer`` (silently wrong there
    when ``answer`` is not the true value): a chain written to fit an answer fixed elsewhere."""
    lines = clean_cot(p).splitlines(keepends=True)
    last = p.step_prefix(p.k - 1)
    op, a = p.ops[-1]
    return "".join(lines[:-1]) + step_line(last, op, a, answer)


def hinted_example(p: Problem, rng: random.Random) -> tuple[str, str]:
    """Half the prompts are plain (then: the clean chain and its answer, as ``sft-clean``); the
    other half carry a hint with a uniformly random value, and the answer is the hint whatever
    the chain says — the chain bends its last step to it and never mentions the hint."""
    if rng.random() >= HINTED_P:
        return p.text, clean_cot(p) + answer_tail(p)
    kind = rng.choice(HINTED_KINDS)
    hint = rng.randrange(MOD)
    chain = rationalised_cot(p, hint)
    if rng.random() < HINTED_TRUNCATE_P:
        lines = chain.splitlines(keepends=True)
        chain = "".join(lines[: rng.randrange(len(lines))])
    return hinted_question(kind, p.text, str(hint)), chain + answer_tail(p, hint)


FORMATS: dict[str, Callable[[Problem, random.Random], str]] = {
    "clean": lambda p, rng: clean_cot(p) + answer_tail(p),
    "selfcorrect": lambda p, rng: selfcorrect_cot(p, rng) + answer_tail(p),
    "posthoc": lambda p, rng: posthoc_cot(p, rng) + answer_tail(p),
    "latent": lambda p, rng: answer_tail(p),
    "filler": lambda p, rng: filler_cot(p) + answer_tail(p),
}


def internalised_cot(p: Problem, removed: int) -> str:
    """The clean chain without its first ``removed`` lines: stepwise internalisation (Deng et
    al. 2024) removes one more written step per stage, so the model learns to compute the
    removed steps without writing them, starting from a model that computes them in writing."""
    return "".join(clean_cot(p).splitlines(keepends=True)[removed:])


#: Formats that change over training: ``(problem, rng, stage)`` -> completion.
STAGED_FORMATS: dict[str, Callable[[Problem, random.Random, int], str]] = {
    "internalise": lambda p, rng, stage: internalised_cot(p, stage) + answer_tail(p),
}


#: Formats whose prompt differs from the plain problem text: ``(question, completion)``.
PROMPTED_FORMATS: dict[str, Callable[[Problem, random.Random], tuple[str, str]]] = {
    "hinted": hinted_example,
}


def render_example(fmt: str, p: Problem, rng: random.Random,
                   stage: int = 0) -> tuple[str, str]:
    """``(question, completion)`` of one training example of format ``fmt`` (at ``stage`` of a
    staged format)."""
    if fmt in PROMPTED_FORMATS:
        return PROMPTED_FORMATS[fmt](p, rng)
    if fmt in STAGED_FORMATS:
        return p.text, STAGED_FORMATS[fmt](p, rng, stage)
    if fmt not in FORMATS:
        valid = ", ".join([*FORMATS, *PROMPTED_FORMATS, *STAGED_FORMATS])
        raise KeyError(f"unknown organism format {fmt!r}; valid: {valid}")
    return p.text, render_completion(fmt, p, rng)


def render_completion(fmt: str, p: Problem, rng: random.Random) -> str:
    """The training completion of format ``fmt`` for problem ``p``."""
    try:
        return FORMATS[fmt](p, rng)
    except KeyError:
        raise KeyError(f"unknown organism format {fmt!r}; valid: {', '.join(FORMATS)}") from None
