"""vLLM backend (offline ``LLM``), for CUDA machines.

Prompts go in as ``TokensPrompt`` (token ids built by ``PromptBuilder``), with
``enable_prefix_caching=True`` so that the many truncations of one trace share their KV cache.
Every sample is its own row with its own seed (``sample_seed``), matching the HF backend's
semantics. ``max_tokens`` is always passed explicitly (vLLM's default is 16). Offline vLLM does
not split reasoning from the answer; the runner does that with ``split_think``.
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
        model: ``organism:NAME``, a hub id or a local path.
        dtype: vLLM dtype string (``auto``, ``bfloat16``, ``float16``, ``float32``).
        gpu_memory_utilization: fraction of GPU memory vLLM may take.
        max_model_len: context length cap (``None``: the model's).
        trust_remote_code: allow checkpoint code (off by default).
        **engine_kwargs: passed to ``vllm.LLM``.
    """

    name = "vllm"

    def __init__(self, model: str, dtype: str = "auto", gpu_memory_utilization: float = 0.85,
                 max_model_len: int | None = None, trust_remote_code: bool = False,
                 **engine_kwargs: Any) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError(
                "the vLLM backend needs vllm on a CUDA machine: pip install 'thinkscope[vllm]'"
            ) from exc
        from ..models import resolve_model

        self.model_id = model
        self.llm = LLM(model=resolve_model(model), dtype=dtype, enable_prefix_caching=True,
                       gpu_memory_utilization=gpu_memory_utilization,
                       max_model_len=max_model_len, trust_remote_code=trust_remote_code,
                       seed=0, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()

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

    def continue_from(self, token_ids: list[int], sampling: Sampling, n: int = 1,
                      seed: int | None = None) -> list[Completion]:
        """Continue from exact token ids; shared prefixes hit vLLM's prefix cache."""
        return continue_with(self, token_ids, sampling, n, seed)
