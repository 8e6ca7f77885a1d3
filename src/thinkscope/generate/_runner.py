"""A resumable generation run: corpus x samples -> graded traces in a TraceStore.

Work is cut into chunks; each chunk's traces are committed to the store before the next chunk
starts, so a run killed at any moment loses at most the chunk in flight, and rerunning the same
command skips every (problem, sample) already stored. Failed requests are written to
``STORE/failures/`` with the error and are retried by the next run; they never become traces.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from ..progress import progress_bar
from ..stats import wilson_interval
from ..text import extract_answer, grade
from ..traces import Message, ModelInfo, ModelKind, Prompt, SamplingParams, Trace, TraceStore
from ..traces import idempotency_key as make_key
from ._corpora import CorpusItem
from ._prompts import PromptBuilder
from ._protocol import Backend, BackendError, Completion, GenerationRequest, Sampling


def item_seed(seed: int, problem_id: str, sample_index: int) -> int:
    """Seed of one (problem, sample): independent of batching, order and resumption."""
    digest = hashlib.sha256(f"{seed}|{problem_id}|{sample_index}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


@dataclass
class RunSummary:
    """What a generation run produced."""

    model: str
    corpus: str
    requested: int = 0
    already_stored: int = 0
    written: int = 0
    failed: int = 0
    correct: int = 0
    graded: int = 0
    reasoning_tokens: list[int] = field(default_factory=list)
    finish_reasons: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        lo, hi = wilson_interval(self.correct, self.graded) if self.graded else (None, None)
        mean_tokens = (sum(self.reasoning_tokens) / len(self.reasoning_tokens)
                       if self.reasoning_tokens else None)
        return {
            "model": self.model, "corpus": self.corpus, "requested": self.requested,
            "already_stored": self.already_stored, "written": self.written,
            "failed": self.failed, "n_graded": self.graded,
            "accuracy": self.correct / self.graded if self.graded else None,
            "accuracy_ci95": [lo, hi],
            "mean_reasoning_tokens": mean_tokens,
            "finish_reasons": dict(self.finish_reasons),
        }


def _reasoning_tokens(comp: Completion, close_ids: list[int]) -> int:
    """Tokens before ``</think>`` (all of them if the block never closed)."""
    ids = comp.token_ids
    if len(close_ids) == 1 and close_ids[0] in ids:
        return ids.index(close_ids[0])
    return len(ids)


def make_trace(
    item: CorpusItem, comp: Completion, sample_index: int, builder: PromptBuilder,
    prompt_ids: list[int], model: ModelInfo, corpus: str, backend: str, sampling: Sampling,
    seed: int,
) -> Trace:
    """A graded trace from one completion."""
    if comp.reasoning is not None:
        reasoning, answer = comp.reasoning, comp.text.strip()
        closed = True
    else:
        reasoning, answer, closed = builder.split(comp.text)
    extracted = extract_answer(answer).value if closed else None
    return Trace(
        problem_id=item.problem_id, corpus=corpus, sample_index=sample_index, model=model,
        prompt=Prompt(messages=[Message(**m) for m in builder.messages(item.question)],
                      text=builder.tokenizer.decode(prompt_ids) if prompt_ids else None),
        prompt_token_ids=prompt_ids or None, reasoning=reasoning, answer=answer,
        extracted_answer=extracted, gold_answer=item.gold, correct=grade(extracted, item.gold),
        completion_token_ids=comp.token_ids or None, completion_logprobs=comp.logprobs,
        sampling=SamplingParams(temperature=sampling.temperature, top_p=sampling.top_p,
                                max_tokens=sampling.max_tokens, stop=list(sampling.stop)),
        seed=seed, finish_reason=comp.finish_reason, backend=backend,
        source=f"generate:{backend}",
    )


def run_generation(
    backend: Backend,
    builder: PromptBuilder,
    items: Sequence[CorpusItem],
    store: TraceStore,
    corpus: str,
    samples: int = 1,
    sampling: Sampling | None = None,
    seed: int = 0,
    chunk_size: int = 64,
    model_kind: ModelKind = ModelKind.unknown,
    progress: bool = True,
) -> RunSummary:
    """Generate ``samples`` completions per item into ``store``, resuming where it stopped."""
    sampling = sampling or Sampling()
    if builder.stop:
        sampling = replace(sampling, stop=tuple(dict.fromkeys([*sampling.stop, *builder.stop])))
    model = ModelInfo(id=backend.model_id, kind=model_kind)
    summary = RunSummary(model=backend.model_id, corpus=corpus)
    stored = store.keys()
    todo: list[tuple[CorpusItem, int]] = []
    for item in items:
        for s in range(samples):
            summary.requested += 1
            if make_key(corpus, item.problem_id, model.id, s, None) in stored:
                summary.already_stored += 1
            else:
                todo.append((item, s))
    close_ids = builder.encode("</think>")
    failures_dir = store.root / "failures"
    run = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
    bar = progress_bar(total=len(todo), desc=f"generate {model.id}", unit="trace",
                       disable=not progress)
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start : start + chunk_size]
        prompts = {item.problem_id: builder.prompt_ids(item.question) + builder.encode(item.prefill)
                   for item, _ in chunk}
        requests = [
            GenerationRequest(
                prompt_ids=prompts[item.problem_id], n=1, sampling=sampling,
                seed=item_seed(seed, item.problem_id, s),
                prompt_text=builder.render(item.question) + item.prefill,
                messages=builder.messages(item.question),
                request_id=f"{item.problem_id}#{s}",
            )
            for item, s in chunk
        ]
        results = backend.generate(requests)
        traces: list[Trace] = []
        failures: list[dict[str, Any]] = []
        for (item, s), req, res in zip(chunk, requests, results):
            if isinstance(res, BackendError) or not res:
                failures.append({"problem_id": item.problem_id, "sample_index": s,
                                 "model": model.id, "error": str(res) or "no completion"})
                continue
            comp = res[0]
            trace = make_trace(item, comp, s, builder, req.prompt_ids, model, corpus,
                               backend.name, sampling, req.seed or 0)
            traces.append(trace)
            summary.finish_reasons[comp.finish_reason] += 1
            summary.reasoning_tokens.append(_reasoning_tokens(comp, close_ids))
            if trace.correct is not None:
                summary.graded += 1
                summary.correct += int(trace.correct)
        summary.written += store.write_batch(traces).written if traces else 0
        if failures:
            failures_dir.mkdir(exist_ok=True)
            with open(failures_dir / f"{run}.jsonl", "a", encoding="utf-8") as fh:
                for f in failures:
                    fh.write(json.dumps(f) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            summary.failed += len(failures)
        bar.update(len(chunk))
    bar.close()
    return summary
