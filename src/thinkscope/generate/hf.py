"""HF transformers backend: batched generation with left padding, on CPU or CUDA.

The decoding loop is ours rather than ``model.generate`` because each sample needs its *own*
random generator (so a sample's tokens depend on its seed, not on which other requests share its
batch), the raw per-token logprobs, and stop strings checked per row. It is a plain KV-cached
loop over ``model(...)`` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..progress import progress_bar
from ._protocol import (
    BackendError,
    Completion,
    GenerationRequest,
    Sampling,
    continue_with,
    sample_seed,
)


class HFBackend:
    """Generate with a HF causal LM.

    Args:
        model: ``organism:NAME``, a hub id or a local path.
        device: ``cpu``/``cuda``/...; default CUDA when available.
        dtype: torch dtype (default fp32 on CPU, bf16 on CUDA).
        batch_size: rows (prompt x sample) decoded together.
        trust_remote_code: allow checkpoint code (off by default).
    """

    name = "hf"

    def __init__(self, model: str, device: str | None = None, dtype: Any = None,
                 batch_size: int = 32, trust_remote_code: bool = False,
                 revision: str | None = None) -> None:
        from ..models import load_model

        loaded = load_model(model, device=device, dtype=dtype,
                            trust_remote_code=trust_remote_code, revision=revision)
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.model_id = model
        self.batch_size = batch_size
        self.device = next(self.model.parameters()).device
        eos = self.model.generation_config.eos_token_id
        ids = eos if isinstance(eos, list) else [eos] if eos is not None else []
        if self.tokenizer.eos_token_id is not None:
            ids.append(self.tokenizer.eos_token_id)
        self.eos_ids = sorted({int(i) for i in ids})
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None \
            else self.eos_ids[0]

    # ------------------------------------------------------------------ public
    def generate(
        self, requests: Sequence[GenerationRequest], progress: bool = False
    ) -> list[list[Completion] | BackendError]:
        rows = [(ri, si, req) for ri, req in enumerate(requests) for si in range(req.n)]
        # Similar lengths together: less padding, and the same rows batch the same way each run.
        rows.sort(key=lambda r: (len(r[2].prompt_ids), r[0], r[1]))
        out: list[list[Completion | None]] = [[None] * r.n for r in requests]
        bar = progress_bar(total=len(rows), desc="generate", unit="sample", disable=not progress)
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            comps = self._decode([(req.prompt_ids, req.sampling, sample_seed(req.seed, si))
                                  for _, si, req in chunk])
            for (ri, si, req), comp in zip(chunk, comps):
                comp.sample_index = si
                comp.seed = sample_seed(req.seed, si)
                out[ri][si] = comp
            bar.update(len(chunk))
        bar.close()
        return [[c for c in row if c is not None] for row in out]

    def continue_from(self, token_ids: list[int], sampling: Sampling, n: int = 1,
                      seed: int | None = None) -> list[Completion]:
        """Continue from exact prompt token ids (CoT prefixes, forced answers)."""
        return continue_with(self, token_ids, sampling, n, seed)

    def score(self, prompt_ids: list[int], continuation_ids: list[int]) -> list[float]:
        """Log-probability of each continuation token given everything before it."""
        import torch

        ids = torch.tensor([list(prompt_ids) + list(continuation_ids)], device=self.device)
        with torch.no_grad():
            logits = self.model(ids).logits[0, len(prompt_ids) - 1 : -1].float()
        logp = torch.log_softmax(logits, dim=-1)
        target = torch.tensor(continuation_ids, device=self.device)
        return logp.gather(1, target[:, None])[:, 0].tolist()

    def score_many(self, prompt_ids: list[int], continuations: Sequence[list[int]],
                   batch_size: int = 16) -> list[list[float]]:
        """``score`` of several continuations of one prompt, batched. The prompt (all but its
        last token) is encoded once and its KV cache copied to every row, so a short
        answer costs its own tokens, not the prompt's again: scoring 42 one-to-six-token answers
        after a 40-token prompt computes ~5x fewer positions than re-encoding the prompt per
        row. The rows (last prompt token + continuation) are right-padded, so every position
        id is what it would be alone."""
        import copy

        import torch

        from ..models import forward_cached, output_cache

        if len(prompt_ids) < 2:  # nothing to share: the plain batched pass
            return [self.score(prompt_ids, list(c)) for c in continuations]
        dev = self.device
        head = torch.tensor([list(prompt_ids[:-1])], dtype=torch.long, device=dev)
        start = head.shape[1]
        out_rows: list[list[float]] = []
        with torch.no_grad():
            shared = output_cache(forward_cached(self.model, input_ids=head, logits_to_keep=1))
            for i in range(0, len(continuations), batch_size):
                chunk = [list(c) for c in continuations[i:i + batch_size]]
                width = 1 + max(len(c) for c in chunk)
                past = copy.deepcopy(shared)  # each batch extends its own copy
                past.batch_select_indices(torch.zeros(len(chunk), dtype=torch.long, device=dev))
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), start + width), dtype=torch.long)
                mask[:, :start] = 1
                for r, c in enumerate(chunk):
                    ids[r, :1 + len(c)] = torch.tensor([prompt_ids[-1], *c])
                    mask[r, :start + 1 + len(c)] = 1
                positions = (start + torch.arange(width))[None, :].expand(len(chunk), -1)
                logits = forward_cached(self.model, past, input_ids=ids.to(dev),
                                        attention_mask=mask.to(dev),
                                        position_ids=positions.to(dev)).logits.float()
                logp = torch.log_softmax(logits, dim=-1)
                for r, c in enumerate(chunk):
                    target = torch.tensor(c, device=logp.device)
                    out_rows.append(logp[r, :len(c)].gather(1, target[:, None])[:, 0].tolist())
        return out_rows

    def branch_greedy(self, prefix_ids: list[int], keep_lens: Sequence[int],
                      suffix_ids: list[int], max_new_tokens: int,
                      stop_at_newline: bool = False) -> tuple[list[Completion], int]:
        """Greedy continuations of ``prefix_ids[:k] + suffix_ids`` for every ``k`` in
        ``keep_lens``, encoding the shared prefix once (see :meth:`branch_greedy_many`)."""
        comps, computed = self.branch_greedy_many([prefix_ids], [keep_lens], suffix_ids,
                                                  max_new_tokens, stop_at_newline)
        return comps[0], computed

    def branch_greedy_many(self, prefixes: Sequence[list[int]],
                           keep_lens: Sequence[Sequence[int]], suffix_ids: list[int],
                           max_new_tokens: int, stop_at_newline: bool = False,
                           ) -> tuple[list[list[Completion]], int]:
        """Greedy continuations of ``prefixes[t][:k] + suffix_ids`` for every cut ``k`` of
        every prefix ``t``, each prefix encoded once.

        The prefixes run through the model once, right-padded in one batch; their KV cache is
        gathered into one row per (prefix, cut), and each row masks the cached positions at and
        beyond its cut, so it attends exactly to ``prefixes[t][:k]`` and its own new tokens, at
        the positions it would have without the rest — what re-encoding every truncated prompt
        computes, at a fraction of the cost. ``stop_at_newline`` ends a row at its first line
        break (forced answers are read from their first line). Returns the completions per
        prefix (in ``keep_lens`` order) and the number of token positions run through the
        model (padding included).
        """
        import torch

        from ..models import forward_cached, output_cache

        if not suffix_ids:
            raise ValueError("branch_greedy needs a non-empty suffix")
        rows = [(t, k) for t, ks in enumerate(keep_lens) for k in ks]
        if not rows:
            return [[] for _ in prefixes], 0
        if any(k < 1 or k > len(prefixes[t]) for t, k in rows):
            raise ValueError("each cut must keep between 1 and len(prefix) tokens")
        widths = [max(ks) if ks else 1 for ks in keep_lens]
        width = max(widths)
        n = len(rows)
        eos = set(self.eos_ids)
        newline_ids = self._newline_ids() if stop_at_newline else set()
        dev = self.device
        with torch.no_grad():
            ids = torch.full((len(prefixes), width), self.pad_id, dtype=torch.long)
            pmask = torch.zeros((len(prefixes), width), dtype=torch.long)
            for t, prefix in enumerate(prefixes):
                ids[t, : widths[t]] = torch.tensor(prefix[: widths[t]], dtype=torch.long)
                pmask[t, : widths[t]] = 1
            # only the cache is needed from the prefix pass: skip its logits
            out = forward_cached(self.model, input_ids=ids.to(dev), attention_mask=pmask.to(dev),
                                 logits_to_keep=1)
            computed = len(prefixes) * width
            past = output_cache(out)
            past.batch_select_indices(torch.tensor([t for t, _ in rows], device=dev))
            keep = torch.tensor([k for _, k in rows], device=dev)
            past_mask = (torch.arange(width, device=dev)[None, :] < keep[:, None]).long()
            suffix = torch.tensor([suffix_ids] * n, device=dev)
            mask = torch.cat([past_mask, torch.ones_like(suffix)], dim=1)
            positions = keep[:, None] + torch.arange(len(suffix_ids), device=dev)[None, :]
            out = forward_cached(self.model, past, input_ids=suffix, attention_mask=mask,
                                 position_ids=positions, logits_to_keep=1)
            computed += n * len(suffix_ids)
            past = output_cache(out)
            logits = out.logits[:, -1, :]
            last = positions[:, -1]
            tokens: list[list[int]] = [[] for _ in range(n)]
            alive = list(range(n))  # batch position p holds row alive[p]
            done: set[int] = set()
            for step in range(max_new_tokens):
                chosen = logits.argmax(-1)
                for p, tok in enumerate(chosen.tolist()):
                    i = alive[p]
                    if i in done:
                        continue
                    tokens[i].append(tok)
                    if tok in eos or tok in newline_ids:
                        done.add(i)
                still = [p for p, i in enumerate(alive) if i not in done]
                if not still or step == max_new_tokens - 1:
                    break
                if len(still) <= 0.75 * len(alive):  # finished rows leave the batch in groups
                    idx = torch.tensor(still, device=dev)
                    past.batch_select_indices(idx)
                    mask, last, chosen = mask[idx], last[idx], chosen[idx]
                    alive = [alive[p] for p in still]
                mask = torch.cat([mask, torch.ones((len(alive), 1), dtype=mask.dtype,
                                                   device=dev)], dim=1)
                last = last + 1
                out = forward_cached(self.model, past, input_ids=chosen[:, None],
                                     attention_mask=mask, position_ids=last[:, None])
                computed += len(alive)
                past = output_cache(out)
                logits = out.logits[:, -1, :]
        comps = [Completion(token_ids=t, text=self.tokenizer.decode(t, skip_special_tokens=True),
                            finish_reason="stop" if t and t[-1] in eos else "length")
                 for t in tokens]
        grouped: list[list[Completion]] = [[] for _ in prefixes]
        for (t, _), c in zip(rows, comps):
            grouped[t].append(c)
        return grouped, computed

    def _newline_ids(self) -> set[int]:
        """Token ids whose text contains a line break (cached)."""
        if not hasattr(self, "_newlines"):
            vocab = self.tokenizer.get_vocab()
            self._newlines = {i for i in vocab.values()
                              if "\n" in self.tokenizer.decode([i], skip_special_tokens=False)}
        return self._newlines

    # ------------------------------------------------------------------ decoding
    def _decode(self, rows: list[tuple[list[int], Sampling, int | None]]) -> list[Completion]:
        """One KV-cached decoding loop over left-padded rows.

        Per step only the chosen token and its logprob cross to the host; sampling is vectorised
        (one uniform per sampled row from that row's own generator, then an inverse-CDF draw on
        the device), stop strings are checked on the tail of a row's text only, and rows that
        finish leave the batch (their cache rows are dropped).
        """
        import torch

        from ..models import forward_cached, output_cache, pad_batch

        n = len(rows)
        ids, mask = pad_batch([p for p, _, _ in rows], self.pad_id, "left")
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        gens: list[Any] = []
        for _, s, seed in rows:
            if s.temperature > 0:
                g = torch.Generator(device="cpu")
                g.manual_seed(seed if seed is not None else torch.seed())
                gens.append(g)
            else:
                gens.append(None)
        temps = torch.tensor([max(s.temperature, 1e-6) for _, s, _ in rows], device=self.device)
        top_ps = torch.tensor([s.top_p for _, s, _ in rows], device=self.device)
        sampled = torch.tensor([g is not None for g in gens], device=self.device)
        max_new = max(s.max_tokens for _, s, _ in rows)
        # a stop string is found in the decoded tail of this many tokens (>= 1 char each)
        tails = [max((len(st) for st in s.stop), default=0) + 2 for _, s, _ in rows]
        tokens: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] = [[] for _ in range(n)]
        finish: list[str | None] = [None] * n
        eos = set(self.eos_ids)
        alive = list(range(n))  # batch position p decodes row alive[p]
        with torch.inference_mode():
            out = forward_cached(self.model, input_ids=ids, attention_mask=mask,
                                 position_ids=positions, logits_to_keep=1)
            cache = output_cache(out)
            logits = out.logits[:, -1, :].float()
            last_pos = positions[:, -1]
            for step in range(max_new):
                chosen = self._choose(logits, [gens[i] for i in alive], temps, top_ps, sampled)
                logp = logits.gather(1, chosen[:, None])[:, 0] - torch.logsumexp(logits, dim=-1)
                chosen_l, logp_l = chosen.tolist(), logp.tolist()
                for b, i in enumerate(alive):
                    if finish[i] is not None:  # finished, not yet dropped from the batch
                        continue
                    tok = chosen_l[b]
                    tokens[i].append(tok)
                    logps[i].append(logp_l[b])
                    stop = rows[i][1].stop
                    if tok in eos:
                        finish[i] = "stop"
                    elif stop:
                        tail = self.tokenizer.decode(tokens[i][-tails[i]:],
                                                     skip_special_tokens=False)
                        if any(st in tail for st in stop):
                            finish[i] = "stop"
                    if finish[i] is None and len(tokens[i]) >= rows[i][1].max_tokens:
                        finish[i] = "length"
                still = [p for p, i in enumerate(alive) if finish[i] is None]
                if not still or step == max_new - 1:
                    break
                # finished rows leave the batch in groups (each removal copies the KV cache)
                if len(still) <= 0.75 * len(alive):
                    idx = torch.tensor(still, device=self.device)
                    cache.batch_select_indices(idx)
                    mask, last_pos, chosen = mask[idx], last_pos[idx], chosen[idx]
                    temps, top_ps, sampled = temps[idx], top_ps[idx], sampled[idx]
                    alive = [alive[p] for p in still]
                mask = torch.cat([mask, torch.ones((len(alive), 1), dtype=mask.dtype,
                                                   device=mask.device)], dim=1)
                last_pos = last_pos + 1
                out = forward_cached(self.model, cache, input_ids=chosen[:, None],
                                     attention_mask=mask, position_ids=last_pos[:, None])
                cache = output_cache(out)
                logits = out.logits[:, -1, :].float()
        comps = []
        for i, (_, s, _) in enumerate(rows):
            toks = tokens[i]
            text = self.tokenizer.decode(toks, skip_special_tokens=True)
            for st in s.stop:
                cut = text.find(st)
                if cut != -1:
                    text = text[:cut]
            comps.append(Completion(token_ids=toks, text=text, finish_reason=finish[i] or "length",
                                    logprobs=logps[i]))
        return comps

    def _choose(self, logits: Any, gens: list[Any], temps: Any, top_ps: Any,
                sampled: Any) -> Any:
        """Next token per row: argmax for greedy rows; for sampled rows an inverse-CDF draw
        with one uniform from the row's own generator (so a row's sample depends on its seed,
        not on its batch), after temperature and top-p."""
        import torch

        chosen = logits.argmax(-1)
        if not any(g is not None for g in gens):
            return chosen
        u = torch.tensor([float(torch.rand(1, generator=g)) if g is not None else 0.0
                          for g in gens], device=logits.device)
        probs = torch.softmax(logits / temps[:, None], dim=-1)
        if bool((top_ps < 1.0).any()):  # nucleus: sort once, keep the top-p mass
            sorted_p, order = torch.sort(probs, dim=-1, descending=True)
            keep = (torch.cumsum(sorted_p, -1) - sorted_p) < top_ps[:, None]
            probs = torch.where(keep, sorted_p, torch.zeros_like(sorted_p))
        else:  # no sort needed to sample the full distribution
            order = None
        cdf = torch.cumsum(probs, -1)
        pick = torch.searchsorted(cdf, (u * cdf[:, -1])[:, None]).clamp(max=cdf.shape[-1] - 1)
        drawn = order.gather(1, pick)[:, 0] if order is not None else pick[:, 0]
        return torch.where(sampled, drawn, chosen)
