"""Split a completion without think tags into its reasoning and its final answer statement.

Instruct models without think tokens and base models write their reasoning and then state the
answer ("So, the answer is 220.", "#### 18", "\\boxed{18}", "**Final Answer**"). The reasoning is
everything before the sentence holding the *first* answer statement: what a model writes after it
has stated its answer is not reasoning towards that answer. A completion that never states an
answer is all reasoning (and has no answer; we never take "the last number" as one).
"""

from __future__ import annotations

import re

_MARKER = re.compile(
    r"\\(?:boxed|fbox)\s*\{"
    r"|(?:final\s+answer|the\s+answer|answer)\s*(?:is\b|:|=)"
    r"|^[\W_]*final\s+answer\b"
    r"|^\s*####",
    re.IGNORECASE | re.MULTILINE,
)
_SENTENCE_END = re.compile(r"(?:\n|[.!?](?=\s))")


def split_reasoning(text: str) -> tuple[str, str]:
    """``(reasoning, answer)`` of a tag-free completion: the answer part starts at the sentence
    (or line) holding the first answer statement; ``answer`` is empty when there is none."""
    m = _MARKER.search(text)
    if m is None:
        return text.strip(), ""
    start = 0
    for end in _SENTENCE_END.finditer(text, 0, m.start()):
        start = end.end()
    return text[:start].strip(), text[start:].strip()
