"""Step-level error analysis: a safe arithmetic checker, exact chain ground truth, and per-trace
error tables."""

from ...traces import question_of  # re-exported: it used to live here
from ._arith import Uncheckable, evaluate, normalise_expression
from ._chain_truth import chain_step_truth, parse_chain_question
from ._claims import Claim, StepCheck, check_step, equality_chains, problem_expression_value
from ._run import check_traces, summarize_errors, write_errors
from ._trace_errors import (
    TraceErrors,
    check_steps,
    ground_truth_steps,
    trace_steps,
)

__all__ = [
    "Claim",
    "StepCheck",
    "TraceErrors",
    "Uncheckable",
    "chain_step_truth",
    "check_step",
    "check_traces",
    "check_steps",
    "equality_chains",
    "evaluate",
    "ground_truth_steps",
    "normalise_expression",
    "parse_chain_question",
    "problem_expression_value",
    "question_of",
    "summarize_errors",
    "write_errors",
    "trace_steps",
]
