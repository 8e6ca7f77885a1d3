"""What every registered faithfulness analysis needs: its traces per model, and the context's
model backend (a clear error where it has none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...traces import Trace
from .._registry import AnalysisContext


def by_model(traces: Sequence[Trace]) -> dict[str, list[Trace]]:
    """Traces grouped by model id, in first-seen order."""
    out: dict[str, list[Trace]] = {}
    for t in traces:
        out.setdefault(t.model.id, []).append(t)
    return out


def model_access(ctx: AnalysisContext, name: str) -> tuple[Any, Any]:
    """The context's backend and prompt-builder getters; a clear error when there are none."""
    if ctx.backend is None or ctx.builder is None:
        raise ValueError(f"the {name} analysis needs a model backend")
    return ctx.backend, ctx.builder


def resample_tokens(model: str, builder: Any) -> int:
    """Tokens a resampled or steered continuation may write: the rest of a chain (160 for the
    organisms' short chains; a real model's reasoning budget, at most 384)."""
    from ...generate import default_max_tokens

    if model.startswith("organism:"):
        return 160
    return min(384, default_max_tokens(model, builder))
