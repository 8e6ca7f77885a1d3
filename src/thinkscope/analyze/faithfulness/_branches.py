"""Answers forced after many cuts of one prefix: prefix-cached on the HF backend, plain requests
elsewhere (vLLM hits its prefix cache because the prompts share token-exact prefixes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...generate import Backend, BackendError, GenerationRequest, Sampling


@dataclass
class BranchStats:
    """Token positions run through the model, for the efficiency benchmark."""

    forward_tokens: int = 0


def forced_branches(
    backend: Backend, prefix_ids: list[int], keep_lens: Sequence[int], suffix_ids: list[int],
    max_new_tokens: int, cached: bool = True, stats: BranchStats | None = None,
) -> list[str | None]:
    """Greedy texts of ``prefix_ids[:k] + suffix_ids`` for each cut ``k`` (``None`` on failure).

    ``cached``: encode the prefix once and branch its KV cache (HF backend); otherwise every
    prompt is sent in full (what vLLM's prefix cache, or the naive baseline, sees).
    """
    branch = getattr(backend, "branch_greedy", None)
    if cached and branch is not None:
        comps, computed = branch(prefix_ids, list(keep_lens), suffix_ids, max_new_tokens,
                                 stop_at_newline=True)
        if stats is not None:
            stats.forward_tokens += computed
        return [c.text for c in comps]
    sampling = Sampling(temperature=0.0, max_tokens=max_new_tokens, stop=("\n",))
    reqs = [GenerationRequest(prompt_ids=list(prefix_ids[:k]) + list(suffix_ids),
                              sampling=sampling) for k in keep_lens]
    out: list[str | None] = []
    for req, res in zip(reqs, backend.generate(reqs)):
        if isinstance(res, BackendError):
            out.append(None)
            continue
        if stats is not None:
            # prompt + every generated token but the last, which is never fed back
            stats.forward_tokens += len(req.prompt_ids) + max(0, len(res[0].token_ids) - 1)
        out.append(res[0].text)
    return out
