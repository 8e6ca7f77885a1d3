"""Importer for JSONL of OpenAI-compatible chat completions (vLLM serve, SGLang, hosted APIs).

Accepted line shapes:

* a chat completion object: ``{"id", "model", "choices": [{"message": {...}, ...}], ...}``;
* a logged pair: ``{"request": {"messages": [...]}, "response": <completion>}`` (extra top-level
  keys ``problem_id``, ``gold_answer``/``target``, ``corpus`` are used when present);
* an OpenAI Batch API output line: ``{"custom_id", "response": {"status_code", "body"}, "error"}``.

Reasoning comes from ``message.reasoning_content`` (vLLM, DeepSeek) or ``message.reasoning``
(OpenRouter, newer vLLM), else from think tags in the content. A stored API error (non-200
status, an ``error`` object, no choices) is a bad record, never a trace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...text import extract_answer, grade, split_think
from .._schema import ModelInfo, Prompt, SamplingParams, Trace
from ._chat import content_text, last_user, to_messages
from ._common import (
    BadRecord,
    ImportOptions,
    Record,
    first_record,
    guess_model_kind,
    isolate,
    iter_jsonl,
    raw_json,
    register_importer,
)
from .bbm import problem_id_for

_SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "n")


def _detect(path: Path) -> bool:
    if path.suffix != ".jsonl":
        return False
    rec = first_record(path)
    if not isinstance(rec, dict):
        return False
    inner: dict[str, Any] = rec["response"] if isinstance(rec.get("response"), dict) else rec
    return "choices" in inner or "status_code" in inner or "custom_id" in rec


def _unwrap(obj: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any], str | None]:
    """``(completion, request, error)`` from any accepted line shape."""
    request: dict[str, Any] = obj["request"] if isinstance(obj.get("request"), dict) else {}
    if obj.get("error"):
        return None, request, f"stored API error: {obj['error']!r}"
    resp = obj.get("response", obj)
    if isinstance(resp, dict) and "status_code" in resp:
        if resp.get("status_code") != 200:
            return None, request, f"stored API error: HTTP {resp.get('status_code')}"
        resp = resp.get("body")
    if not isinstance(resp, dict):
        return None, request, "no completion object in record"
    if resp.get("error"):
        return None, request, f"stored API error: {resp['error']!r}"
    if not isinstance(resp.get("choices"), list) or not resp["choices"]:
        return None, request, "completion has no choices"
    return resp, request, None


@register_importer(
    "openai-chat", _detect, "JSONL of OpenAI-compatible chat completions (reasoning_content)"
)
def read_openai_chat(path: Path, opts: ImportOptions) -> Iterator[Record]:
    corpus_default = opts.corpus or path.stem
    seen: Counter[str] = Counter()
    for item in iter_jsonl(path):
        if isinstance(item, BadRecord):
            yield item
            continue
        line, obj = item
        if not isinstance(obj, dict):
            yield BadRecord(str(path), line, f"expected a JSON object, got {type(obj).__name__}",
                            raw_json(obj))
            continue
        yield from isolate(path, line, obj, _traces, path, line, obj, opts, seen,
                           corpus_default)


def _traces(path: Path, line: int, obj: dict[str, Any], opts: ImportOptions,
            seen: Counter[str], corpus_default: str) -> Iterator[Record]:
    """The traces (one per choice) of one completion record."""
    completion, request, error = _unwrap(obj)
    if error is not None or completion is None:
        yield BadRecord(str(path), line, error or "no completion", raw_json(obj))
        return
    messages = to_messages(request.get("messages") or obj.get("messages"))
    model = opts.model or completion.get("model") or request.get("model")
    if not isinstance(model, str) or not model:
        yield BadRecord(str(path), line, "no model name in record (pass --model)",
                        raw_json(obj))
        return
    question = last_user(messages)
    pid = obj.get("problem_id") or obj.get("custom_id") or (
        problem_id_for(question) if question else completion.get("id")
    )
    if pid is None:
        yield BadRecord(str(path), line, "no problem id, custom_id, user message or id",
                        raw_json(obj))
        return
    pid = str(pid)
    gold = obj.get("gold_answer", obj.get("target"))
    sampling = {k: request[k] for k in _SAMPLING_KEYS if k in request}
    for ci, choice in enumerate(completion["choices"]):
        msg = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(msg, dict):
            yield BadRecord(str(path), line, f"choice {ci} without a message", raw_json(obj))
            continue
        text, part_reasoning = content_text(msg.get("content"))
        reasoning = msg.get("reasoning_content") or msg.get("reasoning") or part_reasoning
        answer = text
        if not reasoning:
            split = split_think(text)
            if split.has_tags:
                reasoning, answer = split.reasoning, split.answer
        logprobs = None
        lp = choice.get("logprobs")
        if isinstance(lp, dict) and isinstance(lp.get("content"), list):
            logprobs = [float(t.get("logprob", 0.0)) for t in lp["content"]
                        if isinstance(t, dict)]
        extracted = extract_answer(answer).value
        sample = seen[pid]
        seen[pid] += 1
        yield Trace(
            problem_id=pid,
            corpus=str(obj.get("corpus") or corpus_default),
            sample_index=sample,
            model=ModelInfo(id=model, kind=opts.model_kind or guess_model_kind(model)),
            prompt=Prompt(messages=messages),
            reasoning=str(reasoning or ""),
            answer=answer.strip(),
            extracted_answer=extracted,
            gold_answer=None if gold is None else str(gold),
            correct=grade(extracted, None if gold is None else str(gold)),
            completion_logprobs=logprobs,
            sampling=SamplingParams(**sampling) if sampling else None,
            seed=request.get("seed") if isinstance(request.get("seed"), int) else None,
            finish_reason=choice.get("finish_reason"),
            backend="openai-http",
            source=f"{path}:{line}",
            identity="content",
            record_id=None if completion.get("id") is None else f"{completion['id']}#{ci}",
        )
