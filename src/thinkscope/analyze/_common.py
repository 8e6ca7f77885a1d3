"""Helpers every analyzer shares: token counts; the grouped confidence intervals live in
``thinkscope.stats`` and are re-exported here."""

from __future__ import annotations

import re

from ..stats import mean_ci, mean_cis, proportion, ratio_ci
from ..traces import Trace

_TOKEN = re.compile(r"\w+|[^\w\s]")


def reasoning_tokens(trace: Trace) -> tuple[int, str]:
    """Length of the reasoning in tokens and how it was counted: the model's own token ids when
    the trace has them, else words and punctuation marks (an approximation, said so)."""
    if trace.completion_token_ids:
        return len(trace.completion_token_ids), "model"
    return len(_TOKEN.findall(trace.reasoning)), "words+punct"


__all__ = ["mean_ci", "mean_cis", "proportion", "ratio_ci", "reasoning_tokens"]
