"""Flat Arrow rows for traces.

Scalars become columns (so pandas filters and groupbys work directly); token ids and logprobs
become Arrow lists; nested structures (messages, sampling, annotations) are JSON text, which keeps
one fixed Arrow schema for every shard whatever the importer put in them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timezone
from typing import Any

import pyarrow as pa

from ._schema import (
    SCHEMA_VERSION,
    Annotations,
    Message,
    ModelInfo,
    ModelKind,
    Perturbation,
    Prompt,
    SamplingParams,
    Trace,
    v1_identity,
)

ARROW_SCHEMA = pa.schema(
    [
        ("schema_version", pa.int16()),
        ("key", pa.string()),
        ("trace_id", pa.string()),
        ("problem_id", pa.string()),
        ("corpus", pa.string()),
        ("sample_index", pa.int32()),
        ("model_id", pa.string()),
        ("model_revision", pa.string()),
        ("model_kind", pa.string()),
        ("prompt_messages", pa.string()),
        ("prompt_text", pa.string()),
        ("prompt_token_ids", pa.list_(pa.int32())),
        ("reasoning", pa.large_string()),
        ("answer", pa.large_string()),
        ("extracted_answer", pa.string()),
        ("gold_answer", pa.string()),
        ("correct", pa.bool_()),
        ("completion_token_ids", pa.list_(pa.int32())),
        ("completion_logprobs", pa.list_(pa.float32())),
        ("sampling", pa.string()),
        ("seed", pa.int64()),
        ("finish_reason", pa.string()),
        ("backend", pa.string()),
        ("parent_trace_id", pa.string()),
        ("perturbation_kind", pa.string()),
        ("perturbation", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("annotations", pa.large_string()),
        ("source", pa.string()),
        ("identity", pa.string()),
        ("record_id", pa.string()),
    ]
)

COLUMNS = [f.name for f in ARROW_SCHEMA]


def _dump(model: Any) -> str | None:
    if model is None:
        return None
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def trace_to_row(trace: Trace) -> dict[str, Any]:
    """One trace as a dict matching ``ARROW_SCHEMA``."""
    return {
        "schema_version": trace.schema_version,
        "key": trace.key,
        "trace_id": trace.trace_id,
        "problem_id": trace.problem_id,
        "corpus": trace.corpus,
        "sample_index": trace.sample_index,
        "model_id": trace.model.id,
        "model_revision": trace.model.revision,
        "model_kind": trace.model.kind.value,
        "prompt_messages": json.dumps(
            [m.model_dump(mode="json") for m in trace.prompt.messages], ensure_ascii=False
        ),
        "prompt_text": trace.prompt.text,
        "prompt_token_ids": trace.prompt_token_ids,
        "reasoning": trace.reasoning,
        "answer": trace.answer,
        "extracted_answer": trace.extracted_answer,
        "gold_answer": trace.gold_answer,
        "correct": trace.correct,
        "completion_token_ids": trace.completion_token_ids,
        "completion_logprobs": trace.completion_logprobs,
        "sampling": _dump(trace.sampling),
        "seed": trace.seed,
        "finish_reason": trace.finish_reason,
        "backend": trace.backend,
        "parent_trace_id": trace.parent_trace_id,
        "perturbation_kind": trace.perturbation.kind if trace.perturbation else None,
        "perturbation": _dump(trace.perturbation),
        "created_at": trace.created_at.astimezone(timezone.utc),
        "annotations": _dump(trace.annotations),
        "source": trace.source,
        "identity": trace.identity,
        "record_id": trace.record_id,
    }


def traces_to_table(traces: list[Trace]) -> pa.Table:
    """Traces as one Arrow table with the fixed schema."""
    rows = [trace_to_row(t) for t in traces]
    return pa.Table.from_pylist(rows, schema=ARROW_SCHEMA)


def _load(text: Any) -> Any:
    if text is None:
        return None
    if isinstance(text, float):  # pandas NaN for a missing value
        return None
    return json.loads(text)


def _none_if_nan(value: Any) -> Any:
    if value is None:
        return None
    try:
        if value != value:  # NaN / NA
            return None
    except (TypeError, ValueError):
        return value
    return value


def _as_list(value: Any) -> list[Any] | None:
    value = _none_if_nan(value) if not hasattr(value, "__len__") else value
    if value is None:
        return None
    return [x.item() if hasattr(x, "item") else x for x in value]


def row_to_trace(row: Mapping[Any, Any]) -> Trace:
    """Inverse of ``trace_to_row`` (accepts pyarrow ``to_pylist`` rows and pandas rows)."""
    version = int(row.get("schema_version") or SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"row has schema_version {version}, newer than this thinkscope understands "
            f"({SCHEMA_VERSION}); upgrade thinkscope"
        )
    pert = _load(row.get("perturbation"))
    ann = _load(row.get("annotations"))
    sampling = _load(row.get("sampling"))
    seed = _none_if_nan(row.get("seed"))
    correct = _none_if_nan(row.get("correct"))
    identity = _none_if_nan(row.get("identity")) or v1_identity(
        _none_if_nan(row.get("source")), pert, _none_if_nan(row.get("backend")))
    created: Any = row.get("created_at")
    if hasattr(created, "to_pydatetime"):
        created = created.to_pydatetime()
    return Trace(
        schema_version=version,
        trace_id=row["trace_id"],
        problem_id=row["problem_id"],
        corpus=row["corpus"],
        sample_index=int(row.get("sample_index") or 0),
        model=ModelInfo(
            id=row["model_id"],
            revision=_none_if_nan(row.get("model_revision")),
            kind=ModelKind(row.get("model_kind") or "unknown"),
        ),
        prompt=Prompt(
            messages=[Message(**m) for m in (_load(row.get("prompt_messages")) or [])],
            text=_none_if_nan(row.get("prompt_text")),
        ),
        prompt_token_ids=_as_list(row.get("prompt_token_ids")),
        reasoning=row.get("reasoning") or "",
        answer=row.get("answer") or "",
        extracted_answer=_none_if_nan(row.get("extracted_answer")),
        gold_answer=_none_if_nan(row.get("gold_answer")),
        correct=None if correct is None else bool(correct),
        completion_token_ids=_as_list(row.get("completion_token_ids")),
        completion_logprobs=_as_list(row.get("completion_logprobs")),
        sampling=SamplingParams(**sampling) if sampling is not None else None,
        seed=None if seed is None else int(seed),
        finish_reason=_none_if_nan(row.get("finish_reason")),
        backend=_none_if_nan(row.get("backend")),
        parent_trace_id=_none_if_nan(row.get("parent_trace_id")),
        perturbation=Perturbation(**pert) if pert is not None else None,
        created_at=created,
        annotations=Annotations(**ann) if ann is not None else None,
        source=_none_if_nan(row.get("source")),
        identity=identity,
        record_id=_none_if_nan(row.get("record_id")),
    )
