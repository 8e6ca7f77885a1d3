"""Importer for Thought Anchors problem directories (Bogdan et al. 2025).

A problem directory holds ``problem.json`` (problem, gt_answer), ``base_solution.json`` (prompt,
solution, full_cot, answer, is_correct) and ``chunks_labeled.json`` (per sentence chunk: function
tags, dependencies and resampling / counterfactual / forced importance). The chunk records are
kept whole in ``annotations.chunks``; chunks also become gold segments labelled with their first
function tag. Their earlier layout has no ``base_solution.json``: the prompt and the whole
solution are then ``source_text`` of ``chunks.json``, and the answer is read from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...text import THINK_OPEN, extract_answer, grade, prompt_opens_think, split_think
from .._schema import Annotations, Message, ModelInfo, ModelKind, Prompt, Trace
from ._common import (
    BadRecord,
    ImportOptions,
    Record,
    guess_model_kind,
    has_bad_bytes,
    read_text,
    register_importer,
)
from .annotated import locate_segments

SOLUTION_FILES = ("base_solution.json", "chunks.json")


def _detect(path: Path) -> bool:
    return path.is_dir() and (path / "problem.json").is_file() and any(
        (path / name).is_file() for name in SOLUTION_FILES)


def _load(path: Path) -> tuple[Any, BadRecord | None]:
    text = read_text(path)
    if not text.strip():
        return None, BadRecord(str(path), None, "empty file")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, BadRecord(str(path), exc.lineno, f"malformed JSON: {exc.msg}", text)
    if has_bad_bytes(obj):
        return None, BadRecord(str(path), None, "bytes that are not valid UTF-8", None)
    return obj, None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def model_from_path(path: Path) -> str | None:
    """The nearest enclosing directory whose name looks like a model (their repo's layout)."""
    for part in reversed(path.resolve().parts):
        if guess_model_kind(part) is not ModelKind.unknown:
            return part
    return None


def _base_solution(path: Path) -> tuple[Any, str, BadRecord | None]:
    """``base_solution.json``'s object and file name, or the equivalent built from the earlier
    layout's ``chunks.json`` (``source_text`` = prompt + ``<think>`` + solution)."""
    if (path / "base_solution.json").is_file():
        base, bad = _load(path / "base_solution.json")
        return base, "base_solution.json", bad
    chunks, bad = _load(path / "chunks.json")
    if bad:
        return None, "chunks.json", bad
    source = chunks.get("source_text") if isinstance(chunks, dict) else None
    if not isinstance(source, str) or THINK_OPEN not in source:
        return None, "chunks.json", BadRecord(
            str(path / "chunks.json"), None,
            "no base_solution.json, and chunks.json has no source_text with a <think> block")
    cut = source.index(THINK_OPEN) + len(THINK_OPEN)
    return {"prompt": source[:cut], "solution": source[cut:]}, "chunks.json", None


@register_importer(
    "thought-anchors", _detect, "Thought Anchors problem directories (chunks + importance)",
    directory=True,
)
def read_thought_anchors(path: Path, opts: ImportOptions) -> Iterator[Record]:
    problem, bad = _load(path / "problem.json")
    if bad:
        yield bad
        return
    base, base_file, bad = _base_solution(path)
    if bad:
        yield bad
        return
    chunks: list[dict[str, Any]] | None = None
    if (path / "chunks_labeled.json").is_file():
        loaded, bad = _load(path / "chunks_labeled.json")
        if bad:
            yield bad  # the trace still imports, without chunk metrics
        elif isinstance(loaded, list) and all(isinstance(c, dict) for c in loaded):
            chunks = loaded
        else:
            yield BadRecord(str(path / "chunks_labeled.json"), None, "expected a list of chunks")
    for name, obj, field in (("problem.json", problem, "problem"),
                             (base_file, base, "solution")):
        if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
            yield BadRecord(str(path / name), None, f"missing or non-text field {field!r}")
            return
    prompt_text = _str(base.get("prompt"))
    split = split_think(base["solution"], starts_inside=prompt_opens_think(prompt_text))
    reasoning = split.reasoning if split.has_tags else base["solution"]
    segments = None
    if chunks is not None:
        pairs = [
            ((c.get("function_tags") or [None])[0] or "unlabelled", str(c.get("chunk", "")))
            for c in chunks
        ]
        segments = locate_segments(reasoning, pairs)
    model = opts.model or model_from_path(path) or "unknown"
    answer = _str(base.get("answer")) or extract_answer(split.answer).value
    gold = _str(problem.get("gt_answer"))
    extra = {k: problem[k] for k in ("level", "type", "nickname") if k in problem}
    if _bool(base.get("is_correct")) is not None:
        extra["source_is_correct"] = _bool(base.get("is_correct"))
    yield Trace(
        problem_id=path.name,
        corpus=opts.corpus or "thought-anchors",
        model=ModelInfo(id=model, kind=opts.model_kind or guess_model_kind(model)),
        prompt=Prompt(messages=[Message(role="user", content=problem["problem"])],
                      text=prompt_text),
        reasoning=reasoning,
        answer=split.answer,
        extracted_answer=answer,
        gold_answer=gold,
        correct=grade(answer, gold),
        annotations=Annotations(source="thought-anchors", segments=segments, chunks=chunks,
                                extra=extra),
        source=str(path),
    )
