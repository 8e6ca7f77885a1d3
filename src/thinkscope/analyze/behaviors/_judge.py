"""The judge detector: an LLM labels segments through any generation backend.

The prompt (``JUDGE_PROMPT``) gives the six definitions and the numbered segments and asks for
one ``N: label`` line per segment. The parser is strict: every segment must get exactly one label
from the vocabulary; a reply that misses, repeats or invents labels is rejected as a whole (its
segments get no label and the failure is counted), never patched up by guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...generate import Backend, BackendError, GenerationRequest, Sampling, chat_request
from ._labels import BEHAVIORS
from ._segments import SegmentInput

DEFINITIONS: dict[str, str] = {
    "initializing": "restating the task, setting up, stating the first plan",
    "deduction": "deriving a consequence from what is known; computing; concluding",
    "adding-knowledge": "bringing in a fact, definition or formula not stated in the problem",
    "example-testing": "checking a claim on a concrete example, substituting values, verifying",
    "uncertainty-estimation": "expressing doubt or confidence, asking itself a question",
    "backtracking": "abandoning or revising an earlier step or approach and trying another",
}
JUDGE_PROMPT = """You label the reasoning behaviour of each segment of a model's reasoning trace.
Labels (use exactly these words):
{definitions}

Problem: {question}

Segments:
{segments}

Reply with exactly one line per segment, in order, of the form `N: label` (N is the segment
number), and nothing else."""
#: Segments sent per request (long traces are labelled in consecutive windows).
WINDOW = 40
_LINE = re.compile(r"^\s*\[?(\d+)\]?\s*[:.)\-]\s*[\[\"'`]*([A-Za-z][A-Za-z \-_]*?)[\]\"'`.]*\s*$")
_NUMBERED = re.compile(r"^\s*\[?\d+\]?\s*[:.)\-]")


class JudgeParseError(ValueError):
    """The judge's reply does not give exactly one valid label per segment."""


def build_judge_prompt(segments: Sequence[str], question: str = "", first: int = 1) -> str:
    defs = "\n".join(f"- {k}: {v}" for k, v in DEFINITIONS.items())
    body = "\n".join(f"{first + i}: {' '.join(s.split())}" for i, s in enumerate(segments))
    return JUDGE_PROMPT.format(definitions=defs, question=question or "(not given)",
                               segments=body)


def parse_judge_reply(reply: str, n: int, first: int = 1) -> list[str]:
    """Labels for segments ``first .. first+n-1``; raises :class:`JudgeParseError` otherwise.

    Text before the labels (a reasoning judge's think block, a preamble line) is ignored; every
    numbered line must parse and name a known label.
    """
    text = reply.split("</think>")[-1]
    found: dict[int, str] = {}
    for line in text.splitlines():
        if not _NUMBERED.match(line):
            continue
        m = _LINE.match(line)
        if not m:
            raise JudgeParseError(f"unparseable line {line.strip()!r}")
        idx = int(m.group(1))
        label = m.group(2).strip().lower().replace("_", "-").replace(" ", "-")
        if label not in BEHAVIORS:
            raise JudgeParseError(f"unknown label {label!r} for segment {idx}")
        if idx in found and found[idx] != label:
            raise JudgeParseError(f"segment {idx} labelled twice")
        found[idx] = label
    want = set(range(first, first + n))
    if set(found) != want:
        missing = sorted(want - set(found))
        extra = sorted(set(found) - want)
        raise JudgeParseError(f"missing segments {missing[:5]} extra {extra[:5]}")
    return [found[i] for i in range(first, first + n)]


class JudgeDetector:
    """Label segments with an LLM through ``backend`` (greedy by default)."""

    name = "judge"

    def __init__(self, backend: Backend, max_tokens: int = 2048,
                 temperature: float = 0.0) -> None:
        self.backend = backend
        self.sampling = Sampling(temperature=temperature, max_tokens=max_tokens)
        self.failures: list[str] = []

    def _request(self, texts: Sequence[str], first: int, question: str) -> GenerationRequest:
        return chat_request(self.backend, build_judge_prompt(texts, question, first),
                            self.sampling, seed=0)

    def predict(self, segments: Sequence[SegmentInput], question: str = "") -> list[str | None]:
        windows = [list(segments[i : i + WINDOW]) for i in range(0, len(segments), WINDOW)]
        requests = [self._request([s.text for s in w], w[0].index + 1, question) for w in windows]
        out: list[str | None] = []
        for w, res in zip(windows, self.backend.generate(requests)):
            if isinstance(res, BackendError):
                self.failures.append(f"backend: {res}")
                out.extend([None] * len(w))
                continue
            try:
                out.extend(parse_judge_reply(res[0].text, len(w), w[0].index + 1))
            except JudgeParseError as exc:
                self.failures.append(str(exc))
                out.extend([None] * len(w))
        return out
