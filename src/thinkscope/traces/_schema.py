"""The trace schema: one reasoning trace, with provenance, as a versioned pydantic model.

Every stored row carries ``schema_version`` so that a store written by an older thinkscope can be
read (and migrated) by a newer one, and a newer store is refused by an older reader instead of
being misread.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 2
#: How a trace is identified in a store (see ``Trace.key``).
Identity = Literal["generation", "content"]


class ModelKind(str, Enum):
    """How a model was trained, as far as reasoning is concerned."""

    rl = "rl"
    sft = "sft"
    base = "base"
    instruct = "instruct"
    latent = "latent"
    unknown = "unknown"


class ModelInfo(BaseModel):
    """Which model produced a trace."""

    model_config = ConfigDict(extra="forbid")

    id: str
    revision: str | None = None
    kind: ModelKind = ModelKind.unknown


class Message(BaseModel):
    """One chat message of a prompt."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str


class Prompt(BaseModel):
    """The prompt as chat messages and, when known, the exact rendered text the model saw."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(default_factory=list)
    text: str | None = None


class SamplingParams(BaseModel):
    """Sampling settings of the generation that produced the trace."""

    model_config = ConfigDict(extra="allow")

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] = Field(default_factory=list)


class Perturbation(BaseModel):
    """What was done to a parent trace to obtain this one (truncation, inserted mistake, ...)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)

    def key(self) -> str:
        """Canonical text form, used in the idempotency key."""
        return self.kind + ":" + json.dumps(self.params, sort_keys=True, separators=(",", ":"))


class GoldSegment(BaseModel):
    """A segment of the reasoning labelled by someone else (an LLM judge, a human).

    ``start``/``end`` are character offsets into ``Trace.reasoning`` when the segment could be
    located there exactly; otherwise they are ``None`` and only ``text`` is known.
    """

    model_config = ConfigDict(extra="forbid")

    text: str
    label: str | None = None
    start: int | None = None
    end: int | None = None


class Annotations(BaseModel):
    """Labels imported with a trace; they are ground truth for validating analyzers."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    segments: list[GoldSegment] | None = None
    #: Per-step verdicts: True = step correct, False = step has an error, None = not judged.
    step_verdicts: list[bool | None] | None = None
    #: Whether a first-error label exists at all (``first_error`` None then means "no error").
    first_error_labelled: bool = False
    first_error: int | None = None
    #: Per-chunk metrics from other tools (e.g. Thought Anchors' importance), one dict per chunk.
    chunks: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


def _part(text: str) -> str:
    """One key component with the separators escaped, so that no two different tuples of
    components give the same key (``a|b`` + ``c`` vs ``a`` + ``b|c``)."""
    return text.replace("%", "%25").replace("|", "%7C").replace("/", "%2F")


def idempotency_key(
    corpus: str,
    problem_id: str,
    model_id: str,
    sample_index: int,
    perturbation: Perturbation | None,
) -> str:
    """The identity of a generated trace: problem x model x sample index x perturbation."""
    pert = perturbation.key() if perturbation is not None else "-"
    return f"{_part(corpus)}/{_part(problem_id)}|{_part(model_id)}|{sample_index}|{pert}"


def content_digest(prompt: Prompt, reasoning: str, answer: str, record_id: str | None) -> str:
    """A hash of what an imported record says (prompt, reasoning, answer) and of the source's
    own identity for it, when it has one."""
    payload = json.dumps(
        [[m.model_dump(mode="json") for m in prompt.messages], prompt.text, reasoning, answer,
         record_id],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8", errors="surrogatepass")).hexdigest()[:24]


def v1_identity(source: str | None, perturbation: object, backend: str | None) -> Identity:
    """The identity a schema-1 trace gets when read or migrated: imported traces (a source that
    is a file, no perturbation) are identified by content; generated ones keep theirs."""
    generated = source is None or str(source).startswith("generate:") or perturbation is not None
    return "generation" if generated or backend in ("hf", "vllm") else "content"


def trace_id_for(key: str) -> str:
    """A short stable id derived from the idempotency key (so re-imports get the same id)."""
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:20]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Trace(BaseModel):
    """One reasoning trace: the prompt, the reasoning, the answer, and where it came from."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    trace_id: str = ""
    problem_id: str
    corpus: str
    sample_index: int = 0
    model: ModelInfo
    prompt: Prompt = Field(default_factory=Prompt)
    prompt_token_ids: list[int] | None = None
    reasoning: str = ""
    answer: str = ""
    extracted_answer: str | None = None
    gold_answer: str | None = None
    correct: bool | None = None
    completion_token_ids: list[int] | None = None
    completion_logprobs: list[float] | None = None
    sampling: SamplingParams | None = None
    seed: int | None = None
    finish_reason: str | None = None
    backend: str | None = None
    parent_trace_id: str | None = None
    perturbation: Perturbation | None = None
    created_at: datetime = Field(default_factory=_utcnow)
    annotations: Annotations | None = None
    #: Where the trace came from: "path:line" for imports, the backend run otherwise.
    source: str | None = None
    #: ``generation``: identified by problem x model x sample x perturbation, so a rerun of the
    #: same job never duplicates. ``content``: imported records, identified by what they say
    #: (see ``content_digest``), so two different records are never merged and the same record
    #: imported twice is stored once.
    identity: Identity = "generation"
    #: The source's own identity for an imported record (a run/sample id, a solution directory).
    record_id: str | None = None

    @model_validator(mode="after")
    def _fill_and_check(self) -> Trace:
        if self.schema_version > SCHEMA_VERSION:
            raise ValueError(
                f"trace has schema_version {self.schema_version}, newer than this thinkscope "
                f"understands ({SCHEMA_VERSION}); upgrade thinkscope"
            )
        if not self.trace_id:
            self.trace_id = trace_id_for(self.key)
        if self.created_at.tzinfo is None:
            self.created_at = self.created_at.replace(tzinfo=timezone.utc)
        return self

    @property
    def question(self) -> str:
        """The user's question: the last user message, else the rendered prompt."""
        return question_of(self)

    @property
    def key(self) -> str:
        """Idempotency key: the store keeps at most one trace per key."""
        key = idempotency_key(
            self.corpus, self.problem_id, self.model.id, self.sample_index, self.perturbation
        )
        if self.identity == "content":
            digest = content_digest(self.prompt, self.reasoning, self.answer, self.record_id)
            key += f"|c:{digest}"
        return key


def question_of(trace: Trace) -> str:
    """The user's question: the last user message, else the rendered prompt (a function as well
    as ``Trace.question``, for ``map`` and ``key=``)."""
    users = [m.content for m in trace.prompt.messages if m.role == "user"]
    return users[-1] if users else (trace.prompt.text or "")
