"""Extract the final answer from an answer text, or say there is none.

Order of preference: the last ``\\boxed{}`` (or ``\\fbox{}``), then GSM8K's ``#### X`` line, then
an explicit statement ("the answer is X", "Final answer: X", "Answer: X" — the organisms' format),
then, when the question is multiple choice, a lone option letter. If none is found the answer is
"no answer": we never fall back to "the last number in the text", which silently turns reasoning
into answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._math import matching_brace
from ._think import split_think

Method = Literal["boxed", "statement", "choice", "none"]

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_STATEMENT = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(?P<value>[^\n]+)",
    re.IGNORECASE,
)
_HASHES = re.compile(r"^\s*####\s*(?P<value>[^\n]+)", re.MULTILINE)  # GSM8K's answer line
_CHOICE_ALONE = re.compile(r"^\s*\(?\s*([A-Z])\s*\)?\s*[.:]?\s*$")
_CHOICE_IN = re.compile(r"\(([A-Z])\)")
_MD = re.compile(r"[*_`]+")


@dataclass(frozen=True)
class ExtractedAnswer:
    """An extracted answer (``value`` None means no answer) and how it was found."""

    value: str | None
    method: Method

    @property
    def found(self) -> bool:
        return self.value is not None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}``/``\\fbox{...}`` with balanced braces, if any."""
    found: str | None = None
    for m in _BOXED.finditer(text):
        end = matching_brace(text, m.end() - 1)
        if end != -1:
            found = text[m.end() : end - 1].strip()
    return found


def _clean_statement(value: str) -> str:
    value = _MD.sub("", value).strip()
    boxed = last_boxed(value)
    if boxed is not None:
        return boxed
    # Cut at a sentence end: ". " or a final "." (but keep decimals such as 0.5).
    value = re.split(r"(?<=[^\d\s])\.(?:\s|$)|\.\s", value, maxsplit=1)[0]
    value = value.strip().rstrip(".").strip()
    for a, b in (("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if value.startswith(a) and value.endswith(b) and len(value) > len(a) + len(b):
            value = value[len(a) : len(value) - len(b)].strip()
    return _plain_number(value)


_EQUATION_TAIL = re.compile(r"\s=\s*([^=]+)$")  # prose spacing: "180/60 = 24", not "4=6"
_NUMBER_THEN_WORDS = re.compile(r"^(\$?\s*-?(?:\d[\d,]*)?\.?\d+\s*%?)\s+[A-Za-z][A-Za-z\s'-]*$")


def _plain_number(value: str) -> str:
    """Prose answers of real models: ``180/60 = 24 meters`` states 24, ``18 dollars`` 18.
    Only a result after a spaced ``=`` and a number followed by words alone are reduced (a
    forced answer that runs on into a step, ``4=6``, is read by ``answer_from``); anything else
    (``150% of $80,000, which is 80,000``) is left for the grader to reject."""
    if "\\" in value:  # LaTeX: leave it to math-verify
        return value
    tail = _EQUATION_TAIL.search(value)
    if tail:
        value = tail.group(1).strip()
    m = _NUMBER_THEN_WORDS.match(value)
    return m.group(1).strip() if m else value


def extract_answer(
    text: str, choices: str | None = None, starts_inside_think: bool = False
) -> ExtractedAnswer:
    """Find the final answer in ``text`` (a completion or its post-think answer part).

    Args:
        text: the text to search. If it contains think tags only the part after the last
            ``</think>`` is searched; a completion cut off inside its think block has no answer.
        choices: option letters (e.g. ``"ABCD"``) when the question is multiple choice.
        starts_inside_think: the prompt opened the think block (R1-style templates).
    """
    split = split_think(text, starts_inside=starts_inside_think)
    part = split.answer if split.has_tags else text
    if not part.strip():
        return ExtractedAnswer(None, "none")
    boxed = last_boxed(part)
    if boxed:
        return ExtractedAnswer(boxed, "boxed")
    hashes = list(_HASHES.finditer(part))
    if hashes:
        value = _clean_statement(hashes[-1].group("value"))
        if value:
            return ExtractedAnswer(value, "statement")
    statements = list(_STATEMENT.finditer(part))
    if statements:
        value = _clean_statement(statements[-1].group("value"))
        if choices:
            letter = _CHOICE_ALONE.match(value) or _CHOICE_IN.search(value)
            if letter and letter.group(1) in choices:
                return ExtractedAnswer(letter.group(1), "choice")
        if value:
            return ExtractedAnswer(value, "statement")
    if choices:
        lines = [ln for ln in part.strip().splitlines() if ln.strip()]
        if lines:
            m = _CHOICE_ALONE.match(_MD.sub("", lines[-1]))
            if m and m.group(1) in choices:
                return ExtractedAnswer(m.group(1), "choice")
    return ExtractedAnswer(None, "none")
