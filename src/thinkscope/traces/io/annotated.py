"""Importer for segment-labelled traces (Venhoff et al. 2025 ``annotated_response`` files).

Each record's ``annotated_response`` wraps segments in tags: ``["label"] text ["end-section"]``.
Real files mix tag forms — ``[label]``, ``[1. deduction]``, ``["1. deduction"]`` — and sometimes
open a new segment without closing the previous one; all are handled. Plain bracketed text in the
reasoning (``[a, b]``, ``[x]``) is not taken for a tag unless it is quoted, numbered, or a known
label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...text import extract_answer, split_think
from .._labels import BEHAVIORS
from .._schema import Annotations, GoldSegment, Message, ModelInfo, Prompt, Trace
from ._common import (
    BadRecord,
    ImportOptions,
    Record,
    guess_model_kind,
    has_keys,
    isolate,
    iter_json_items,
    iter_jsonl,
    raw_json,
    register_importer,
)

KNOWN_LABELS = {*BEHAVIORS, "end-section"}
_TAG = re.compile(
    r"\[\s*(?P<q>\"?)\s*(?:(?P<num>\d+)\s*\.\s*)?"
    r"(?P<label>[A-Za-z][A-Za-z_\- ]{0,40}?)\s*(?P=q)\s*\]"
)
_END = "end-section"


def normalise_label(label: str) -> str:
    """``"Uncertainty Estimation"`` -> ``"uncertainty-estimation"``."""
    return re.sub(r"[\s_]+", "-", label.strip().lower())


def parse_annotated(text: str) -> list[tuple[str, str]]:
    """``(label, segment_text)`` pairs of an annotated response, in order."""
    segments: list[tuple[str, str]] = []
    label: str | None = None
    pos = 0
    for m in _TAG.finditer(text):
        name = normalise_label(m.group("label"))
        is_tag = bool(m.group("q")) or m.group("num") is not None or name in KNOWN_LABELS
        if not is_tag:
            continue
        if label is not None:
            body = text[pos : m.start()].strip()
            if body:
                segments.append((label, body))
        label = None if name == _END else name
        pos = m.end()
    if label is not None:
        body = text[pos:].strip()
        if body:
            segments.append((label, body))
    return segments


def locate_segments(reasoning: str, segments: list[tuple[str, str]]) -> list[GoldSegment]:
    """Gold segments with exact offsets into ``reasoning`` where the text is found in order."""
    out: list[GoldSegment] = []
    cursor = 0
    for label, body in segments:
        idx = reasoning.find(body, cursor)
        end = idx + len(body)
        if idx == -1:
            # Annotators often re-flow whitespace; match the same words with any whitespace.
            words = body.split()
            m = None
            if words:
                pattern = r"\s+".join(re.escape(w) for w in words)
                m = re.compile(pattern).search(reasoning, cursor)
            if m is None:
                out.append(GoldSegment(text=body, label=label))
                continue
            idx, end = m.start(), m.end()
        out.append(GoldSegment(text=body, label=label, start=idx, end=end))
        cursor = end
    return out


_ROLE = re.compile(r"^(system|user|assistant)\n", re.M)


def split_rendered_chat(response: str) -> tuple[list[Message], str] | None:
    """Split a chat rendered as ``system\\n...user\\n...assistant\\n<reply>`` (roles as lines)."""
    if not response.startswith(("system\n", "user\n")):
        return None
    marks = list(_ROLE.finditer(response))
    assistant = [m for m in marks if m.group(1) == "assistant"]
    if not assistant:
        return None
    reply_start = assistant[-1].end()
    messages = []
    for a, b in zip(marks, marks[1:]):
        if a.start() >= assistant[-1].start():
            break
        messages.append(Message(role=a.group(1), content=response[a.end() : b.start()].strip()))
    return messages, response[reply_start:]


def model_and_corpus(path: Path, opts: ImportOptions) -> tuple[str, str]:
    """Model from ``--model`` or the file name's last ``_`` part; corpus from the rest."""
    stem = path.stem
    head, _, tail = stem.rpartition("_")
    model = opts.model or (tail if head else stem)
    corpus = opts.corpus or (head if head else "annotated")
    return model, corpus


def record_to_trace(obj: dict[str, Any], index: int, model: str, corpus: str,
                    opts: ImportOptions, source: str) -> Trace:
    annotated = obj["annotated_response"]
    segments = parse_annotated(annotated)
    response = obj.get("response") if isinstance(obj.get("response"), str) else None
    thinking = obj.get("thinking_process") if isinstance(obj.get("thinking_process"), str) else None
    messages: list[Message] = []
    answer = ""
    finish_reason = None
    reply = response
    if response is not None:
        chat = split_rendered_chat(response)
        if chat is not None:
            messages, reply = chat
    if reply is not None:
        split = split_think(reply)
        if split.has_tags:
            answer = split.answer
            if not split.closed:
                finish_reason = "length"  # the think block never closed: the output was cut
            thinking = thinking if thinking is not None else split.reasoning
        elif thinking is not None and reply.strip().startswith(thinking.strip()[:200]):
            answer = reply.strip()[len(thinking.strip()):].strip()
        elif thinking is None:
            thinking = reply
    reasoning = thinking if thinking is not None else "\n\n".join(t for _, t in segments)
    extracted = extract_answer(answer if answer.strip() else reasoning)
    extra = {}
    if isinstance(obj.get("label_counts"), dict):
        extra["label_counts"] = obj["label_counts"]
    return Trace(
        problem_id=str(obj.get("problem_id", obj.get("id", index))),
        corpus=corpus,
        model=ModelInfo(id=model, kind=opts.model_kind or guess_model_kind(model)),
        prompt=Prompt(messages=messages),
        reasoning=reasoning,
        answer=answer,
        extracted_answer=extracted.value,
        annotations=Annotations(
            source="annotated", segments=locate_segments(reasoning, segments), extra=extra
        ),
        finish_reason=finish_reason,
        source=source,
        identity="content",
    )


def _one(obj: dict[str, Any], index: int, model: str, corpus: str, opts: ImportOptions,
         source: str) -> list[Trace]:
    return [record_to_trace(obj, index, model, corpus, opts, source)]


def _detect(path: Path) -> bool:
    return path.suffix in (".json", ".jsonl") and has_keys(path, "annotated_response")


@register_importer(
    "annotated", _detect, "segment-labelled JSON/JSONL with annotated_response (Venhoff et al.)"
)
def read_annotated(path: Path, opts: ImportOptions) -> Iterator[Record]:
    model, corpus = model_and_corpus(path, opts)
    items = iter_jsonl(path) if path.suffix == ".jsonl" else iter_json_items(path)
    index = 0
    for item in items:
        if isinstance(item, BadRecord):
            yield item
            continue
        line, obj = item
        i = index
        index += 1
        if not isinstance(obj, dict) or not isinstance(obj.get("annotated_response"), str):
            reason = (
                "missing field 'annotated_response'" if isinstance(obj, dict)
                else f"expected a JSON object, got {type(obj).__name__}"
            )
            if isinstance(obj, dict) and "annotated_response" in obj:
                reason = "field 'annotated_response' should be str"
            yield BadRecord(str(path), line, reason, raw_json(obj))
            continue
        yield from isolate(path, line, obj, _one, obj, i, model, corpus, opts, f"{path}:{line}")
