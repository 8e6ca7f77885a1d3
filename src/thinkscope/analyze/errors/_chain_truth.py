"""Exact per-step ground truth for modular-arithmetic chain traces (the organisms' task).

A question ``start 4, +7, *3, -5 (mod 10)`` fixes every intermediate value, so each written step
``a op b = r`` can be judged exactly: it is right when ``r = a op b (mod m)`` and ``op b`` is the
operation the question lists at that point of the chain. A ``Wait, ...`` line restates the step
before it (a correction), so it does not advance the chain.
"""

from __future__ import annotations

import re

from ...organisms import Problem, apply

_QUESTION = re.compile(
    r"start\s+(?P<start>-?\d+)\s*,\s*(?P<ops>(?:[+\-*]\s*\d+\s*,?\s*)+)\(\s*mod\s+(?P<mod>\d+)\s*\)"
)
_OP = re.compile(r"([+\-*])\s*(\d+)")
_STEP = re.compile(r"(-?\d+)\s*([+\-*])\s*(\d+)\s*=\s*(-?\d+)")
_CORRECTION = re.compile(r"^\s*(?:wait|no|actually|hmm)\b", re.IGNORECASE)


def parse_chain_question(text: str) -> Problem | None:
    """The chain problem a question states, or ``None`` if it is not one."""
    m = _QUESTION.search(text)
    if not m:
        return None
    ops = tuple((op, int(a)) for op, a in _OP.findall(m.group("ops")))
    mod = int(m.group("mod"))
    if not ops or mod < 2:
        return None
    return Problem(start=int(m.group("start")) % mod, ops=ops, mod=mod)


def chain_step_truth(problem: Problem, steps: list[str]) -> list[bool | None]:
    """Per step: ``True``/``False`` for a step line judged against the problem, ``None`` for a
    step with no ``a op b = r`` line (a statement, a blank)."""
    verdicts: list[bool | None] = []
    pos = -1  # index of the chain step the previous line addressed
    for text in steps:
        m = _STEP.search(text)
        if not m:
            verdicts.append(None)
            continue
        a, op, b, r = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        if not (_CORRECTION.match(text) and pos >= 0):
            pos += 1
        if pos >= problem.k:
            verdicts.append(False)  # a step beyond the chain the question asked for
            continue
        want_op, want_b = problem.ops[pos]
        ok = (op, b) == (want_op, want_b) and r % problem.mod == apply(a, op, b, problem.mod)
        verdicts.append(ok)
    return verdicts
