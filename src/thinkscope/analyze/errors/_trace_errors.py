"""Step-level errors of whole traces: which steps are wrong, where the first error is, and how
many steps could be checked at all (the denominator every error rate must show)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from ...text import segment_text
from ...traces import Trace
from ._chain_truth import chain_step_truth, parse_chain_question
from ._claims import StepCheck, check_step, problem_expression_value

SegmentSource = Literal["gold", "auto"]


@dataclass
class TraceErrors:
    """Verdicts on every step of one trace (``None`` = uncheckable)."""

    verdicts: list[bool | None]
    checks: list[StepCheck] = field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return len(self.verdicts)

    @property
    def n_checkable(self) -> int:
        return sum(v is not None for v in self.verdicts)

    @property
    def n_errors(self) -> int:
        return sum(v is False for v in self.verdicts)

    @property
    def first_error(self) -> int | None:
        return next((i for i, v in enumerate(self.verdicts) if v is False), None)

    @property
    def first_restatement_error(self) -> int | None:
        """The first step that restates the problem wrongly (a wrong plan; see ``_claims``)."""
        return next((c.index for c in self.checks if c.restatement is False), None)


def trace_steps(trace: Trace, segments: SegmentSource = "auto") -> list[str]:
    """The steps of a trace: its gold segments when asked for and present, else the reasoning
    split into sentences and lines."""
    gold = trace.annotations.segments if trace.annotations else None
    if segments == "gold" and gold:
        return [g.text for g in gold]
    return [s.stripped for s in segment_text(trace.reasoning, "sentence", line_breaks=True)
            if s.stripped]


_CUT_NUMBER = re.compile(r"[\d.,]*\d$")


def check_steps(steps: list[str], question: str = "", truncated: bool = False) -> TraceErrors:
    """Symbolic check of the arithmetic claims in each step (see ``_claims``). When the question
    states a modulus (``(mod 10)``), claims are compared modulo it. When the text was cut
    (``truncated``: the generation hit its length limit), a number ending the last step may be
    the cut-off head of a longer one (``13,728 ÷ 16 = 85`` of ``858``) and is not judged."""
    if truncated and steps:
        steps = steps[:-1] + [_CUT_NUMBER.sub("", steps[-1])]
    chain = parse_chain_question(question) if question else None
    modulus = chain.mod if chain else None
    problem_value = problem_expression_value(question, modulus) if question and not chain \
        else None
    env: dict[str, Fraction | None] = {}
    checks = [check_step(s, env, i, problem_value, modulus) for i, s in enumerate(steps)]
    return TraceErrors([c.verdict for c in checks], checks)


def ground_truth_steps(steps: list[str], question: str) -> TraceErrors | None:
    """Exact per-step truth when the question is a modular chain; ``None`` otherwise."""
    problem = parse_chain_question(question)
    if problem is None:
        return None
    return TraceErrors(chain_step_truth(problem, steps))
