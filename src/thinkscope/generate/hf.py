"""HF transformers backend: batched generation with left padding, on CPU or CUDA.

The decoding loop is ours rather than ``model.generate`` because each sample needs its *own*
random generator (so a sample's tokens depend on its seed, not on which other requests share its
batch), the raw per-token logprobs, and stop strings checked per row. It is a plain KV-cached
loop over ``model(...)`` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm

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
        bar = tqdm(total=len(rows), desc="generate", unit="sample", disable=not progress)
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

    # ------------------------------------------------------------------ decoding
    def _decode(self, rows: list[tuple[list[int], Sampling, int | None]]) -> list[Completion]:
        import torch

        n = len(rows)
        width = max(len(p) for p, _, _ in rows)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        for i, (p, _, _) in enumerate(rows):
            ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p):] = 1
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
        max_new = max(s.max_tokens for _, s, _ in rows)
        tokens: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] = [[] for _ in range(n)]
        finish: list[str | None] = [None] * n
        texts: list[str] = [""] * n
        eos = set(self.eos_ids)
        with torch.no_grad():
            out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                             use_cache=True)
            past = out.past_key_values
            logits = out.logits[:, -1, :].float()
            last_pos = positions[:, -1]
            for step in range(max_new):
                logp = torch.log_softmax(logits, dim=-1).cpu()
                chosen = logits.argmax(-1).cpu()  # greedy rows; sampled rows overwrite below
                for i, (_, s, _) in enumerate(rows):
                    if finish[i] is not None:
                        chosen[i] = self.pad_id
                    elif gens[i] is not None:
                        chosen[i] = self._pick(logits[i], s, gens[i])
                for i, (_, s, _) in enumerate(rows):
                    if finish[i] is not None:
                        continue
                    tok = int(chosen[i])
                    tokens[i].append(tok)
                    logps[i].append(float(logp[i, tok]))
                    if tok in eos:
                        finish[i] = "stop"
                    elif s.stop:
                        texts[i] = self.tokenizer.decode(tokens[i], skip_special_tokens=False)
                        if any(st in texts[i] for st in s.stop):
                            finish[i] = "stop"
                    if finish[i] is None and len(tokens[i]) >= s.max_tokens:
                        finish[i] = "length"
                if all(f is not None for f in finish) or step == max_new - 1:
                    break
                mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype,
                                                   device=mask.device)], dim=1)
                last_pos = last_pos + 1
                out = self.model(input_ids=chosen[:, None].to(self.device), attention_mask=mask,
                                 position_ids=last_pos[:, None], past_key_values=past,
                                 use_cache=True)
                past = out.past_key_values
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

    @staticmethod
    def _pick(logits: Any, s: Sampling, gen: Any) -> int:
        import torch

        if s.temperature <= 0 or gen is None:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / s.temperature, dim=-1).cpu()
        if s.top_p < 1.0:
            sorted_p, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(sorted_p, 0) - sorted_p < s.top_p
            sorted_p = torch.where(keep, sorted_p, torch.zeros_like(sorted_p))
            probs = torch.zeros_like(probs).scatter(0, order, sorted_p)
            probs = probs / probs.sum()
        return int(torch.multinomial(probs, 1, generator=gen))
