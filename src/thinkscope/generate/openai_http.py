"""OpenAI-compatible HTTP backend (vLLM serve, SGLang, hosted APIs).

Generation goes through ``/v1/chat/completions`` (the server applies the chat template);
``reasoning_content`` or ``reasoning`` fields carry the reasoning when the server splits it.
``continue_from`` uses ``/v1/completions`` with the prompt as token ids, which vLLM and SGLang
accept, so truncation and forced-answer prompts stay token-exact. Requests run concurrently up to
a limit, with retries and exponential backoff on 5xx, timeouts, connection errors and malformed
bodies; a request that still fails comes back as a ``BackendError`` (recorded as a failure,
never stored as a trace).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..progress import progress_bar
from ._protocol import BackendError, Completion, GenerationRequest, Sampling, sample_seed

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend:
    """Chat completions against an OpenAI-compatible server.

    Args:
        model: the model name the server knows.
        base_url: e.g. ``http://localhost:8000/v1``.
        api_key: bearer token; default from ``OPENAI_API_KEY`` (servers often ignore it).
        concurrency: requests in flight at once.
        max_retries: retries per request after the first attempt.
        timeout: seconds per attempt.
        backoff: base of the exponential backoff, in seconds.
        tokenizer: a model reference whose tokenizer builds token-exact prompts (truncations,
            forced answers); default ``model`` itself when it resolves here (an organism, a
            ``pkg:``/``.gguf`` model or a local folder), else none: chat requests only.
        return_token_ids: ask for the completion's token ids (vLLM's ``return_token_ids``
            extension; servers that reject unknown fields need it off).
    """

    name = "openai-http"

    def __init__(self, model: str, base_url: str, api_key: str | None = None,
                 concurrency: int = 8, max_retries: int = 3, timeout: float = 600.0,
                 backoff: float = 0.5, tokenizer: str | None = None,
                 return_token_ids: bool = False) -> None:
        import httpx

        self.model_id = model
        self.base_url = base_url.rstrip("/")
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "EMPTY")
        self.client = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=timeout)
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff = backoff
        self.return_token_ids = return_token_ids
        self.tokenizer = _local_tokenizer(tokenizer or model, required=tokenizer is not None)

    # ------------------------------------------------------------------ HTTP
    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random() * 0.1))
            try:
                resp = self.client.post(self.base_url + path, json=body)
            except httpx.TimeoutException:
                last = "timeout"
                continue
            except httpx.TransportError as exc:
                last = f"connection error: {exc}"
                continue
            if resp.status_code in RETRY_STATUS:
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                continue
            if resp.status_code != 200:
                raise BackendError(f"HTTP {resp.status_code}: {resp.text[:200]}")
            try:
                data = resp.json()
                if not isinstance(data, dict) or not isinstance(data.get("choices"), list) \
                        or not data["choices"]:
                    raise ValueError("no choices")
                return data
            except ValueError as exc:
                last = f"malformed response body ({exc})"
                continue
        raise BackendError(f"request failed after {self.max_retries + 1} attempts: {last}")

    @staticmethod
    def _completion(choice: dict[str, Any], index: int, seed: int | None,
                    chat: bool) -> Completion:
        if chat:
            msg = choice.get("message") or {}
            text = msg.get("content") or ""
            reasoning = msg.get("reasoning_content") or msg.get("reasoning")
        else:
            text, reasoning = choice.get("text") or "", None
        logprobs = None
        lp = choice.get("logprobs")
        if isinstance(lp, dict):
            if isinstance(lp.get("content"), list):
                logprobs = [float(t.get("logprob", 0.0)) for t in lp["content"]]
            elif isinstance(lp.get("token_logprobs"), list):
                logprobs = [float(x) for x in lp["token_logprobs"] if x is not None]
        ids = choice.get("token_ids")
        token_ids = [int(t) for t in ids] if isinstance(ids, list) else []
        return Completion(token_ids=token_ids, text=text, finish_reason=choice.get("finish_reason")
                          or "stop", sample_index=index, seed=seed, logprobs=logprobs,
                          reasoning=reasoning)

    def _one(self, req: GenerationRequest) -> list[Completion] | BackendError:
        s = req.sampling
        out: list[Completion] = []
        try:
            for i in range(req.n):
                seed = sample_seed(req.seed, i)
                body: dict[str, Any] = {
                    "model": self.model_id, "temperature": s.temperature, "top_p": s.top_p,
                    "max_tokens": s.max_tokens, "logprobs": True,
                }
                if seed is not None:
                    body["seed"] = seed
                if s.stop:
                    body["stop"] = list(s.stop)
                if self.return_token_ids:
                    body["return_token_ids"] = True
                if req.messages is not None:
                    body["messages"] = req.messages
                    data = self._post("/chat/completions", body)
                    out.append(self._completion(data["choices"][0], i, seed, chat=True))
                else:
                    body["prompt"] = req.prompt_ids if req.prompt_ids else req.prompt_text
                    body["logprobs"] = 1
                    data = self._post("/completions", body)
                    out.append(self._completion(data["choices"][0], i, seed, chat=False))
        except BackendError as exc:
            return exc
        return out

    # ------------------------------------------------------------------ public
    def generate(
        self, requests: Sequence[GenerationRequest], progress: bool = False
    ) -> list[list[Completion] | BackendError]:
        bar = progress_bar(total=len(requests), desc="generate", unit="request",
                           disable=not progress)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(self._one, r) for r in requests]
            results = []
            for f in futures:
                results.append(f.result())
                bar.update(1)
        bar.close()
        return results

    def continue_from(self, token_ids: list[int], sampling: Sampling, n: int = 1,
                      seed: int | None = None) -> list[Completion]:
        """Continue from exact token ids through ``/v1/completions``."""
        res = self._one(GenerationRequest(prompt_ids=token_ids, n=n, sampling=sampling,
                                          seed=seed, messages=None))
        if isinstance(res, BackendError):
            raise res
        return res


def _local_tokenizer(ref: str, required: bool) -> Any:
    """The tokenizer of ``ref`` when it is on this machine (no download); None otherwise,
    unless the caller named it (``required``): then a clear error."""
    from pathlib import Path

    from ..models import resolve_model

    try:
        path = resolve_model(ref)
        if not Path(path).is_dir():
            if required:
                raise ValueError(f"tokenizer {ref!r}: not a local model folder, organism or "
                                 f"GGUF file")
            return None
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path)
    except (OSError, ImportError, RuntimeError) as exc:
        if required:
            raise ValueError(f"tokenizer {ref!r} could not be loaded: {exc}") from exc
        return None
