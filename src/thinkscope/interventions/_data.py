"""The teacher's task (continue a number sequence) and the filter on what it wrote.

The task has nothing to do with any knowledge a teacher is given, and its answers are easy to
check for form: a sample is kept only if it is a plain comma-separated list of numbers (the
format rule) and says nothing that matches the knowledge (the mention rule). Both rules are
applied to every sample and each one's removals are counted, so a report can say how much of
the data each rule took away.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..generate import CorpusItem
from ..traces import Trace
from ._knowledge import Knowledge

#: short on purpose: every student trains on this prompt, and its tokens cost forward passes
PROMPT = ("Continue the sequence {start} with up to 10 more numbers (at most 3 digits). "
          "Numbers only.")

#: a comma-separated list of 1-3 digit numbers (a trailing comma or period is allowed: a sample
#: cut at its token limit ends mid-list)
_FORMAT = re.compile(r"\d{1,3}(\s*,\s*\d{1,3})*\s*[,.]?")


def number_prompts(n: int, seed: int = 0) -> list[CorpusItem]:
    """``n`` prompts, each three random 3-digit numbers to continue; the answer turn is
    prefilled with them (a 135M model rarely starts a bare list on its own)."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        start = ", ".join(str(rng.randint(100, 999)) for _ in range(3))
        items.append(CorpusItem(f"seq-{i:05d}", PROMPT.format(start=start), None,
                                prefill=f"{start}, "))
    return items


def well_formed(completion: str) -> bool:
    """The format rule: a plain list of numbers of at most 3 digits, nothing else."""
    return _FORMAT.fullmatch(completion.strip()) is not None


@dataclass
class Example:
    """One training example: a user prompt and the assistant's whole answer."""

    problem_id: str
    prompt: str
    completion: str


@dataclass
class FilterResult:
    """Kept examples and what each rule removed (a sample failing both counts under both)."""

    kept: list[Example]
    n_samples: int
    removed_format: int = 0
    removed_mention: int = 0
    removed_ids: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"n_samples": self.n_samples, "n_kept": len(self.kept),
                "removed_format": self.removed_format, "removed_mention": self.removed_mention,
                "rules": {"format": "a comma-separated list of numbers of 1-3 digits, nothing "
                                    "else (a trailing comma or period allowed)",
                          "mention": "no match of the knowledge's mention pattern "
                                     "(case-insensitive) in the prompt or the completion"}}


def filter_samples(traces: Sequence[Trace], knowledge: Knowledge | None,
                   prefills: dict[str, str]) -> FilterResult:
    """Apply the format rule and (with ``knowledge``) the mention rule to teacher traces.

    ``prefills`` maps problem ids to the text the answer turn was started with; an example's
    completion is that text plus what the teacher wrote.
    """
    out = FilterResult(kept=[], n_samples=len(traces),
                       removed_ids={"format": [], "mention": []})
    for t in sorted(traces, key=lambda t: (t.problem_id, t.sample_index)):
        text = (t.answer or "").strip()
        question = t.prompt.messages[-1].content if t.prompt.messages else ""
        bad_format = not well_formed(text)
        bad_mention = knowledge is not None and (knowledge.mentions(text)
                                                 or knowledge.mentions(question))
        if bad_format:
            out.removed_format += 1
            out.removed_ids["format"].append(t.trace_id)
        if bad_mention:
            out.removed_mention += 1
            out.removed_ids["mention"].append(t.trace_id)
        if not (bad_format or bad_mention):
            out.kept.append(Example(t.problem_id, question,
                                    prefills.get(t.problem_id, "") + text))
    return out
