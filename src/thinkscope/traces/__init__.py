"""Trace schema, the crash-safe trace store, and importers/exporters (``thinkscope.traces.io``)."""

from ._schema import (
    SCHEMA_VERSION,
    Annotations,
    GoldSegment,
    Message,
    ModelInfo,
    ModelKind,
    Perturbation,
    Prompt,
    SamplingParams,
    Trace,
    content_digest,
    idempotency_key,
    question_of,
    trace_id_for,
)
from ._store import AppendResult, FsckReport, StoreError, TraceStore
from ._table import ARROW_SCHEMA, row_to_trace, trace_to_row, traces_to_table

__all__ = [
    "ARROW_SCHEMA",
    "SCHEMA_VERSION",
    "Annotations",
    "AppendResult",
    "FsckReport",
    "GoldSegment",
    "Message",
    "ModelInfo",
    "ModelKind",
    "Perturbation",
    "Prompt",
    "SamplingParams",
    "StoreError",
    "Trace",
    "TraceStore",
    "content_digest",
    "idempotency_key",
    "question_of",
    "row_to_trace",
    "trace_id_for",
    "trace_to_row",
    "traces_to_table",
]
