"""Split a completion into reasoning and answer on think tags.

Handles the cases real models produce: the R1 chat template puts ``<think>`` in the *prompt* (so
the completion starts inside the block and has only ``</think>``), truncated generations with no
``</think>``, several think blocks, and models that emit no tags at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
_TAG = re.compile(r"</?think>")


@dataclass(frozen=True)
class ThinkSplit:
    """Result of ``split_think``.

    Attributes:
        reasoning: the text inside think blocks (several blocks joined by a blank line).
        answer: the text after the last ``</think>`` (empty when the block never closed).
        closed: False when generation ended inside a think block (truncated reasoning).
        n_blocks: number of think blocks seen.
        has_tags: whether any think tag was present (or the prompt opened the block).
    """

    reasoning: str
    answer: str
    closed: bool
    n_blocks: int
    has_tags: bool


def prompt_opens_think(prompt_text: str | None) -> bool:
    """True when the rendered prompt ends inside an open think block (R1/Qwen3 templates)."""
    if not prompt_text:
        return False
    last_open = prompt_text.rfind(THINK_OPEN)
    return last_open != -1 and prompt_text.rfind(THINK_CLOSE) < last_open


def split_think(completion: str, starts_inside: bool = False) -> ThinkSplit:
    """Split ``completion`` into reasoning and answer.

    Args:
        completion: the model's output text.
        starts_inside: the prompt already opened ``<think>`` (see ``prompt_opens_think``).
            When False but the completion has a ``</think>`` before any ``<think>``, the
            completion is taken to start inside a block too.
    """
    tags = list(_TAG.finditer(completion))
    if not tags and not starts_inside:
        return ThinkSplit(reasoning="", answer=completion.strip(), closed=True, n_blocks=0,
                          has_tags=False)
    inside = starts_inside or (bool(tags) and tags[0].group() == THINK_CLOSE)
    blocks: list[str] = []
    current: list[str] = []
    n_blocks = 1 if inside else 0
    pos = 0
    last_close_end = -1
    for m in tags:
        chunk = completion[pos : m.start()]
        if inside:
            current.append(chunk)
        if m.group() == THINK_OPEN:
            if not inside:
                inside = True
                n_blocks += 1
            # a nested/repeated <think> inside a block is kept as literal text
            elif chunk is not None:
                current.append(m.group())
        else:  # </think>
            if inside:
                blocks.append("".join(current))
                current = []
                inside = False
            last_close_end = m.end()
        pos = m.end()
    tail = completion[pos:]
    if inside:
        current.append(tail)
        blocks.append("".join(current))
    reasoning = "\n\n".join(b.strip() for b in blocks if b.strip())
    answer = "" if inside else completion[last_close_end:].strip() if last_close_end >= 0 else ""
    return ThinkSplit(
        reasoning=reasoning, answer=answer, closed=not inside, n_blocks=n_blocks, has_tags=True
    )
