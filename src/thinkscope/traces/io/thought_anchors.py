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
import re
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
    isolate,
    loads,
    printable,
    read_text,
    record_problem,
    register_importer,
)
from .annotated import locate_segments

SOLUTION_FILES = ("base_solution.json", "chunks.json")
#: The task file: ``problem.json`` (math problems) or ``scenario.json`` (agentic scenarios,
#: e.g. their blackmail rollouts under ``<yes|no>_base_solution/scenario_N/``).
TASK_FILES = ("problem.json", "scenario.json")
_SCRATCHPAD = re.compile(r"<SCRATCHPAD_REASONING>(.*?)(?:</SCRATCHPAD_REASONING>|$)", re.S)


def _detect(path: Path) -> bool:
    return path.is_dir() and any((path / n).is_file() for n in TASK_FILES) and any(
        (path / name).is_file() for name in SOLUTION_FILES)


def _load(path: Path) -> tuple[Any, BadRecord | None]:
    text = read_text(path)
    if not text.strip():
        return None, BadRecord(str(path), None, "empty file")
    try:
        obj = loads(text)
    except json.JSONDecodeError as exc:
        return None, BadRecord(str(path), exc.lineno, f"malformed JSON: {exc.msg}",
                               printable(text[:100000]))
    except ValueError as exc:
        return None, BadRecord(str(path), None, str(exc), None)
    problem = record_problem(obj)
    if problem is not None:
        return None, BadRecord(str(path), None, problem, printable(text[:100000]))
    return obj, None


def _first_tag(chunk: dict[str, Any]) -> str:
    """A chunk's first function tag; any other shape of ``function_tags`` is unlabelled."""
    tags = chunk.get("function_tags")
    if isinstance(tags, list) and tags and isinstance(tags[0], str) and tags[0]:
        return tags[0]
    if isinstance(tags, str) and tags:
        return tags
    return "unlabelled"


def _scenario_problem(obj: Any) -> Any:
    """``scenario.json`` as the ``problem.json`` shape: the prompt text is its user prompt
    (with the emails when kept apart), the system prompt stays in ``extra``."""
    if not isinstance(obj, dict):
        return obj
    parts = [obj.get(k) for k in ("user_prompt", "email_content", "prompt")]
    text = "\n\n".join(p for p in parts if isinstance(p, str) and p)
    return {**obj, "problem": text or None}


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
    scenario = not (path / "problem.json").is_file()
    problem, bad = _load(path / ("scenario.json" if scenario else "problem.json"))
    if bad:
        yield bad
        return
    if scenario:
        problem = _scenario_problem(problem)
    yield from isolate(path, None, None, _read, path, opts, problem, scenario)


def _read(path: Path, opts: ImportOptions, problem: Any, scenario: bool) -> Iterator[Record]:
    """The trace of one problem/scenario directory (its files' problems as bad records)."""
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
    task_file = "scenario.json" if scenario else "problem.json"
    for name, obj, field in ((task_file, problem, "problem"),
                             (base_file, base, "solution")):
        if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
            yield BadRecord(str(path / name), None, f"missing or non-text field {field!r}")
            return
    prompt_text = _str(base.get("prompt"))
    split = split_think(base["solution"], starts_inside=prompt_opens_think(prompt_text))
    reasoning = split.reasoning if split.has_tags else base["solution"]
    answer_text = split.answer
    scratch = _SCRATCHPAD.search(base["solution"]) if not split.has_tags else None
    if scratch is not None:  # agentic scenarios reason in scratchpad tags, then act
        reasoning = scratch.group(1).strip()
        answer_text = (base["solution"][:scratch.start()] + base["solution"][scratch.end():])
        answer_text = answer_text.strip()
    segments = None
    if chunks is not None:
        pairs = [(_first_tag(c), str(c.get("chunk", ""))) for c in chunks]
        segments = locate_segments(reasoning, pairs)
    model = opts.model or model_from_path(path) or "unknown"
    answer = _str(base.get("answer")) or extract_answer(answer_text).value
    gold = _str(problem.get("gt_answer"))
    extra = {k: problem[k] for k in ("level", "type", "nickname", "system_prompt")
             if k in problem}
    for k in ("contains_blackmail", "blackmail", "is_misaligned", "category"):
        if k in base:
            extra[f"source_{k}"] = base[k]
    if _bool(base.get("is_correct")) is not None:
        extra["source_is_correct"] = _bool(base.get("is_correct"))
    yield Trace(
        problem_id=path.name,
        corpus=opts.corpus or "thought-anchors",
        model=ModelInfo(id=model, kind=opts.model_kind or guess_model_kind(model)),
        prompt=Prompt(messages=[Message(role="user", content=problem["problem"])],
                      text=prompt_text),
        reasoning=reasoning,
        answer=answer_text,
        extracted_answer=answer,
        gold_answer=gold,
        correct=grade(answer, gold),
        annotations=Annotations(source="thought-anchors", segments=segments, chunks=chunks,
                                extra=extra),
        source=str(path),
        identity="content",
        # Their trees hold e.g. correct_base_solution/problem_3 and incorrect_base_solution/
        # problem_3 for one model: the parent directory is part of the record's identity.
        record_id=f"{path.parent.name}/{path.name}",
    )
