"""Importer for inspect_ai evaluation logs.

``.json`` logs are read as plain JSON (no dependency). ``.eval`` logs (a zip container) are read
through inspect_ai's own ``read_eval_log`` when inspect_ai is installed (``pip install
'thinkscope[inspect]'``), then handled as the same JSON structure. Reasoning comes from content
parts of type ``reasoning``; correctness from the first scorer's ``C``/``I`` (or 1/0) value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...text import extract_answer, split_think
from .._schema import Annotations, ModelInfo, Prompt, Trace
from ._chat import content_text, to_messages
from ._common import (
    BadRecord,
    ImportOptions,
    Record,
    guess_model_kind,
    has_keys,
    isolate,
    iter_json_items,
    raw_json,
    record_problem,
    register_importer,
)


def _detect(path: Path) -> bool:
    if path.suffix == ".eval":
        return True
    return path.suffix == ".json" and has_keys(path, "eval", "version")


def _load_eval(path: Path) -> dict[str, Any]:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "reading .eval logs needs inspect_ai: pip install 'thinkscope[inspect]' "
            "(or convert with `inspect log convert --to json`)"
        ) from exc
    log = read_eval_log(str(path))
    return json.loads(log.model_dump_json())


def _score(scores: Any) -> tuple[bool | None, str | None]:
    """Correctness and the scorer's extracted answer from a sample's first score."""
    if not isinstance(scores, dict) or not scores:
        return None, None
    first = next(iter(scores.values()))
    if not isinstance(first, dict):
        return None, None
    value = first.get("value")
    answer = first.get("answer")
    correct: bool | None = None
    if isinstance(value, str) and value in ("C", "I"):
        correct = value == "C"
    elif isinstance(value, bool):
        correct = value
    elif isinstance(value, (int, float)) and value in (0, 1):
        correct = bool(value)
    return correct, None if answer is None else str(answer)


@register_importer("inspect", _detect, "inspect_ai eval logs (.json; .eval with inspect_ai)")
def read_inspect(path: Path, opts: ImportOptions) -> Iterator[Record]:
    if path.suffix == ".eval":
        try:
            log = _load_eval(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is this file's bad input
            yield BadRecord(str(path), None, f"cannot read .eval log: {exc}")
            return
    else:
        items = list(iter_json_items(path, check=False))
        bad = [i for i in items if isinstance(i, BadRecord)]
        if bad or len(items) != 1 or not isinstance(items[0][1], dict):  # type: ignore[index]
            yield from bad or [BadRecord(str(path), None, "not an inspect log object")]
            return
        log = items[0][1]  # type: ignore[index]
    eval_info: dict[str, Any] = log["eval"] if isinstance(log.get("eval"), dict) else {}
    samples = log.get("samples")
    if not isinstance(samples, list):
        yield BadRecord(str(path), None, "log has no samples (was it written with samples?)")
        return
    if record_problem(eval_info) is not None:
        eval_info = {}  # unusable header text: fall back to the file name, keep the samples
    task = str(eval_info.get("task") or path.stem)
    for i, sample in enumerate(samples):
        where = f"sample {i}"
        if not isinstance(sample, dict) or "id" not in sample:
            yield BadRecord(str(path), None, f"{where}: missing field 'id'", raw_json(sample))
            continue
        problem = record_problem(sample)
        if problem is not None:
            yield BadRecord(str(path), None, f"{where}: {problem}", raw_json(sample))
            continue
        yield from isolate(path, None, sample, _sample_traces, path, sample, where, eval_info,
                           task, opts)


def _sample_traces(path: Path, sample: dict[str, Any], where: str, eval_info: dict[str, Any],
                   task: str, opts: ImportOptions) -> Iterator[Record]:
    """The trace of one inspect sample."""
    output: dict[str, Any] = sample["output"] if isinstance(sample.get("output"), dict) else {}
    if output.get("error") or sample.get("error"):
        yield BadRecord(str(path), None, f"{where}: sample ended in an error",
                        raw_json(sample.get("error") or output.get("error")))
        return
    choices = output.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        yield BadRecord(str(path), None, f"{where}: no model output", raw_json(sample))
        return
    message = choices[0].get("message") or {}
    text, reasoning = content_text(message.get("content"))
    answer = text
    if not reasoning:
        split = split_think(text)
        if split.has_tags:
            reasoning, answer = split.reasoning, split.answer
    model = opts.model or output.get("model") or eval_info.get("model") or "unknown"
    correct, scored_answer = _score(sample.get("scores"))
    target = sample.get("target")
    if isinstance(target, list):
        target = target[0] if len(target) == 1 else json.dumps(target)
    epoch = sample.get("epoch", 1)
    yield Trace(
        problem_id=str(sample["id"]),
        corpus=opts.corpus or task,
        sample_index=max(0, int(epoch) - 1) if isinstance(epoch, int) else 0,
        model=ModelInfo(id=str(model), kind=opts.model_kind or guess_model_kind(str(model))),
        prompt=Prompt(messages=to_messages(sample.get("input"))),
        reasoning=reasoning,
        answer=answer.strip(),
        extracted_answer=extract_answer(answer).value or scored_answer,
        gold_answer=None if target is None else str(target),
        correct=correct,
        finish_reason=choices[0].get("stop_reason"),
        backend="inspect",
        annotations=Annotations(source="inspect", extra={"scorer_answer": scored_answer})
        if scored_answer is not None else None,
        source=f"{path}#{where}",
        identity="content",
        record_id=f"{eval_info.get('eval_id') or eval_info.get('run_id') or ''}"
                  f"/{sample['id']}/{epoch}",
    )
