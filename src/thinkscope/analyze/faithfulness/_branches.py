"""Answers forced after many cuts of one prefix: prefix-cached on the HF backend, plain requests
elsewhere (vLLM hits its prefix cache because the prompts share token-exact prefixes)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


#: Bytes of KV cache the cached branching may hold at once (rows x prefix tokens x the
#: model's bytes per cached token); ``$THINKSCOPE_BRANCH_CACHE_GB`` changes it. Peak memory
#: is about twice this while the cache of a batch grows.
DEFAULT_CACHE_BYTES = 2 * 2**30


def kv_bytes_per_token(backend: Backend) -> int:
    """KV-cache bytes one cached token takes in ``backend``'s model: layers x 2 (keys and
    values) x KV heads x head size x bytes per value. 48 KiB when the model does not say."""
    model = getattr(backend, "model", None)
    cfg: Any = getattr(model, "config", None)
    cfg = getattr(cfg, "text_config", None) or cfg
    try:
        layers = int(cfg.num_hidden_layers)
        heads = int(getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads)
        head_dim = int(getattr(cfg, "head_dim", None)
                       or cfg.hidden_size // cfg.num_attention_heads)
        size = next(model.parameters()).element_size()  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError, StopIteration):
        return 48 * 1024
    return max(1, layers * 2 * heads * head_dim * size)


def _cache_budget() -> int:
    gb = os.environ.get("THINKSCOPE_BRANCH_CACHE_GB")
    try:
        return int(float(gb) * 2**30) if gb else DEFAULT_CACHE_BYTES
    except ValueError:
        return DEFAULT_CACHE_BYTES


def forced_branches_many(
    backend: Backend, jobs: Sequence[tuple[list[int], Sequence[int]]], suffix_ids: list[int],
    max_new_tokens: int, cached: bool = True, stats: BranchStats | None = None,
    max_rows: int = 256, max_cache_bytes: int | None = None,
) -> list[list[str | None]]:
    """:func:`forced_branches` for several prefixes at once (``jobs`` = (prefix, cuts)); the
    cached path batches up to ``max_rows`` (prefix, cut) rows per forward, and holds no more
    than ``max_cache_bytes`` of KV cache (rows x prefix length x the model's bytes per cached
    token; default ``DEFAULT_CACHE_BYTES``). A long prefix with many cuts is split into several
    batches of its cuts (its prefix encoded once per batch), so memory stays bounded however
    long the chain."""
    branch = getattr(backend, "branch_greedy_many", None)
    if cached and branch is not None:
        budget = max_cache_bytes if max_cache_bytes is not None else _cache_budget()
        token_rows = max(1, budget // kv_bytes_per_token(backend))
        pieces: list[tuple[int, list[int]]] = []
        for j, (prefix, ks) in enumerate(jobs):
            ks = list(ks)
            per = max(1, min(max_rows, token_rows // max(1, len(prefix))))
            pieces.extend((j, ks[s:s + per]) for s in range(0, len(ks), per))
        got: list[list[str | None]] = [[] for _ in jobs]
        i = 0
        while i < len(pieces):
            chunk = [pieces[i]]
            rows, width = len(pieces[i][1]), len(jobs[pieces[i][0]][0])
            while i + len(chunk) < len(pieces):
                j, ks = pieces[i + len(chunk)]
                w = max(width, len(jobs[j][0]))
                if rows + len(ks) > max_rows or (rows + len(ks)) * w > token_rows:
                    break
                rows, width = rows + len(ks), w
                chunk.append((j, ks))
            comps, computed = branch([jobs[j][0] for j, _ in chunk], [ks for _, ks in chunk],
                                     suffix_ids, max_new_tokens, stop_at_newline=True)
            if stats is not None:
                stats.forward_tokens += computed
            # the same text the naive path returns: cut at the first line break (its stop)
            for (j, _), row in zip(chunk, comps):
                got[j].extend(c.text.split("\n", 1)[0] for c in row)
            i += len(chunk)
        return got
    sampling = Sampling(temperature=0.0, max_tokens=max_new_tokens, stop=("\n",))
    reqs = [GenerationRequest(prompt_ids=list(p[:k]) + list(suffix_ids), sampling=sampling)
            for p, ks in jobs for k in ks]
    flat: list[str | None] = []
    for req, res in zip(reqs, _in_two_waves(backend, reqs, jobs)):
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


def _in_two_waves(backend: Backend, reqs: list[GenerationRequest],
                  jobs: Sequence[tuple[list[int], Sequence[int]]]) -> list[Any]:
    """``backend.generate(reqs)``; with a prefix cache (vLLM), each prefix's longest cut goes
    first, on its own: requests scheduled in the same step cannot reuse blocks none of them has
    computed yet, so the other cuts then find their prefix cached instead of all recomputing
    it together."""
    if not getattr(backend, "prefix_caching", False):
        return list(backend.generate(reqs))
    first: list[int] = []
    at = 0
    for _, ks in jobs:
        if ks:
            first.append(at + max(range(len(ks)), key=lambda i: ks[i]))
        at += len(ks)
    lead = set(first)
    rest = [i for i in range(len(reqs)) if i not in lead]
    out: list[Any] = [None] * len(reqs)
    for wave in (first, rest):
        if wave:
            for i, res in zip(wave, backend.generate([reqs[i] for i in wave])):
                out[i] = res
    return out
