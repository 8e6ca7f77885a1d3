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
    return forced_branches_many(backend, [(prefix_ids, keep_lens)], suffix_ids, max_new_tokens,
                                cached=cached, stats=stats)[0]


def forced_branches_many(
    backend: Backend, jobs: Sequence[tuple[list[int], Sequence[int]]], suffix_ids: list[int],
    max_new_tokens: int, cached: bool = True, stats: BranchStats | None = None,
    max_rows: int = 256, max_cache_tokens: int = 131072,
) -> list[list[str | None]]:
    """:func:`forced_branches` for several prefixes at once (``jobs`` = (prefix, cuts)); the
    cached path batches up to ``max_rows`` (prefix, cut) rows per forward, and no more than
    ``max_cache_tokens`` rows x prefix length (each row holds a copy of its prefix's KV cache:
    for a 1.5B model with 2,000-token CoTs the default is ~65 rows, a few GB)."""
    branch = getattr(backend, "branch_greedy_many", None)
    if cached and branch is not None:
        out: list[list[str | None]] = []
        i = 0
        while i < len(jobs):
            chunk = [jobs[i]]
            rows = len(jobs[i][1])
            width = len(jobs[i][0])
            while i + len(chunk) < len(jobs):
                nxt = jobs[i + len(chunk)]
                w = max(width, len(nxt[0]))
                if rows + len(nxt[1]) > max_rows or (rows + len(nxt[1])) * w > max_cache_tokens:
                    break
                rows, width = rows + len(nxt[1]), w
                chunk.append(nxt)
            comps, computed = branch([p for p, _ in chunk], [list(k) for _, k in chunk],
                                     suffix_ids, max_new_tokens, stop_at_newline=True)
            if stats is not None:
                stats.forward_tokens += computed
            # the same text the naive path returns: cut at the first line break (its stop)
            out.extend([[c.text.split("\n", 1)[0] for c in row] for row in comps])
            i += len(chunk)
        return out
    sampling = Sampling(temperature=0.0, max_tokens=max_new_tokens, stop=("\n",))
    reqs = [GenerationRequest(prompt_ids=list(p[:k]) + list(suffix_ids), sampling=sampling)
            for p, ks in jobs for k in ks]
    flat: list[str | None] = []
    for req, res in zip(reqs, backend.generate(reqs)):
        if isinstance(res, BackendError):
            flat.append(None)
            continue
        if stats is not None:
            # prompt + every generated token but the last, which is never fed back
            stats.forward_tokens += len(req.prompt_ids) + max(0, len(res[0].token_ids) - 1)
        flat.append(res[0].text)
    grouped, pos = [], 0
    for _, ks in jobs:
        grouped.append(flat[pos : pos + len(ks)])
        pos += len(ks)
    return grouped
