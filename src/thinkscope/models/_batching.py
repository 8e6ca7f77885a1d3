"""What generation, activation extraction and steering share when they run a model on a batch:
padding token rows into one tensor, and forward hooks that read or edit a module's output (which
is a tensor or a tuple whose first item is the hidden state, depending on the architecture)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, side: str = "left",
              width: int | None = None) -> tuple[Any, Any]:
    """``(input_ids, attention_mask)`` of ``rows`` padded to ``width`` (default: the longest).

    Left padding for generation (every row's next token sits in the last column); right padding
    for reading hidden states at known positions."""
    import torch

    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right'")
    width = width or max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r)
        sl = slice(width - n, width) if side == "left" else slice(0, n)
        ids[i, sl] = torch.as_tensor(list(r), dtype=torch.long)
        mask[i, sl] = 1
    return ids, mask


def hidden_of(output: Any) -> Any:
    """The hidden state in a module's output."""
    return output[0] if isinstance(output, tuple) else output


def with_hidden(output: Any, hidden: Any) -> Any:
    """``output`` with its hidden state replaced (same structure)."""
    return (hidden, *output[1:]) if isinstance(output, tuple) else hidden


@contextmanager
def forward_hook(module: Any, fn: Callable[[Any, Any, Any], Any]) -> Iterator[Any]:
    """``fn(module, args, output)`` on every forward of ``module`` inside the block (a return
    value other than None replaces the output); removed on exit, also on error."""
    handle = module.register_forward_hook(fn)
    try:
        yield handle
    finally:
        handle.remove()
