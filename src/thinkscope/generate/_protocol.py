"""The backend protocol: generate completions for token-id prompts.

Every backend (HF transformers, vLLM, an OpenAI-compatible server) takes the same requests and
returns the same completions, so analyzers never care which one ran.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Sampling:
    """Sampling settings. ``temperature == 0`` means greedy.

    ``max_tokens`` is always explicit (vLLM's default is 16 tokens, which silently truncates).
    """

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p,
                "max_tokens": self.max_tokens, "stop": list(self.stop)}


@dataclass
class GenerationRequest:
    """One prompt, ``n`` samples of it.

    Attributes:
        prompt_ids: the full prompt as token ids (see ``PromptBuilder``).
        n: samples to draw.
        sampling: sampling settings.
        seed: base seed; sample i uses ``sample_seed(seed, i)``, so a sample's randomness does
            not depend on which other requests share its batch.
        prompt_text: the same prompt as text, for backends that take text (HTTP) and records.
        messages: the chat messages, for chat-completions servers.
        request_id: caller's id, echoed back.
    """

    prompt_ids: list[int]
    n: int = 1
    sampling: Sampling = field(default_factory=Sampling)
    seed: int | None = None
    prompt_text: str | None = None
    messages: list[dict[str, str]] | None = None
    request_id: str = ""


@dataclass
class Completion:
    """One sampled continuation."""

    token_ids: list[int]
    text: str
    finish_reason: str
    sample_index: int = 0
    seed: int | None = None
    logprobs: list[float] | None = None
    #: Reasoning returned separately by a server (``reasoning_content``), if any.
    reasoning: str | None = None


class BackendError(RuntimeError):
    """A request failed (after retries); it is recorded as a failure, never as a trace."""


def sample_seed(seed: int | None, index: int) -> int | None:
    """Seed of sample ``index`` of a request with base ``seed`` (stable across runs)."""
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def continue_with(backend: Backend, token_ids: list[int], sampling: Sampling, n: int = 1,
                  seed: int | None = None) -> list[Completion]:
    """Continue from exact token ids with any backend (raises ``BackendError`` on failure)."""
    res = backend.generate([GenerationRequest(prompt_ids=list(token_ids), n=n, sampling=sampling,
                                              seed=seed)])[0]
    if isinstance(res, BackendError):
        raise res
    return res


@runtime_checkable
class Backend(Protocol):
    """What every generation backend provides."""

    name: str
    model_id: str

    def generate(
        self, requests: Sequence[GenerationRequest], progress: bool = False
    ) -> list[list[Completion] | BackendError]:
        """Completions for each request (``n`` each), in request order.

        A request that failed (after the backend's own retries) is a ``BackendError`` in its
        slot: the caller records it as a failure and retries it on resume, and never stores it
        as a trace.
        """
        ...
