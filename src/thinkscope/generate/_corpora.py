"""Corpora by name: the organisms' synthetic chains and GSM8K (offline, shipped in ``corpora/``),
and public math sets (HF datasets).

Public sets load through ``datasets.load_dataset``; on a machine without network access the load
fails fast with a message saying how to get the data (download elsewhere, pass a local path)
instead of a stack trace. A local ``.jsonl`` file with ``question``/``problem`` and ``answer``
fields works as a corpus too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..registry import Registry


@dataclass(frozen=True)
class CorpusItem:
    """One problem to generate on."""

    problem_id: str
    question: str
    gold: str | None
    meta: dict[str, Any] = field(default_factory=dict)
    #: text the answer turn starts with, after the generation prompt: the model continues it
    #: (the trace's completion is what the model wrote after it)
    prefill: str = ""


class CorpusUnavailable(RuntimeError):
    """A corpus could not be loaded here (offline, not installed); the message says what to do."""


def _modarith(split: str) -> list[CorpusItem]:
    from ..organisms import corpus
    from ..organisms import split as split_problems

    problems = corpus() if split == "all" else split_problems(corpus(), split)
    return [CorpusItem(p.problem_id, p.text, str(p.answer),
                       {"k": p.k, "values": list(p.values)}) for p in problems]


def _hf(path: str, name: str | None, hf_split: str, q: str, a: str,
        gold: Callable[[str], str] = lambda s: s) -> Callable[[str], list[CorpusItem]]:
    def load(split: str) -> list[CorpusItem]:
        try:
            from datasets import load_dataset
        except ImportError as exc:
            raise CorpusUnavailable(
                f"corpus {path} needs the `datasets` package: pip install datasets"
            ) from exc
        try:
            ds = load_dataset(path, name, split=hf_split)
        except Exception as exc:  # noqa: BLE001 - offline, gated, renamed: all mean "not here"
            raise CorpusUnavailable(
                f"could not load {path} from the Hugging Face hub ({type(exc).__name__}). "
                f"Without network access: on a connected machine run `python -c \"from datasets "
                f"import load_dataset; load_dataset('{path}'"
                + (f", '{name}'" if name else "")
                + f", split='{hf_split}').to_json('corpus.jsonl')\"`, copy corpus.jsonl here "
                f"and pass --corpus corpus.jsonl"
            ) from None
        items = []
        for i, row in enumerate(ds):
            pid = str(row.get("unique_id") or row.get("id") or i)
            items.append(CorpusItem(pid, str(row[q]), gold(str(row[a])), {}))
        return items

    return load


def _gsm8k_gold(answer: str) -> str:
    return answer.split("####")[-1].strip().replace(",", "")


_CALC = re.compile(r"<<([^<>]*)>>")


def gsm8k_values(solution: str) -> list[str]:
    """The result of every ``<<expr=value>>`` calculator annotation of a GSM8K solution."""
    return [m.group(1).rsplit("=", 1)[1].strip() for m in _CALC.finditer(solution)
            if "=" in m.group(1)]


def gsm8k_solution_text(solution: str) -> str:
    """A GSM8K solution as plain prose: annotations removed, the ``####`` line dropped."""
    body = solution.split("####")[0]
    return _CALC.sub("", body).strip()


def corpora_dir() -> Path:
    """The shipped ``corpora/`` folder: ``$THINKSCOPE_CORPORA``, else the source checkout this
    package runs from, else the working directory."""
    env = os.environ.get("THINKSCOPE_CORPORA")
    candidates = [Path(env)] if env else []
    candidates += [p / "corpora" for p in Path(__file__).resolve().parents]
    candidates.append(Path.cwd() / "corpora")
    for c in candidates:
        if (c / "gsm8k").is_dir():
            return c
    raise CorpusUnavailable("the shipped corpora/ folder was not found; set "
                            "THINKSCOPE_CORPORA=/path/to/thinkscope/corpora")


def _gsm8k(split: str) -> list[CorpusItem]:
    name = "train" if split == "train" else "test"
    if split not in ("train", "test", "heldout", "all"):
        raise CorpusUnavailable(f"gsm8k has splits test and train, not {split!r}")
    splits = ["test", "train"] if split == "all" else [name]
    items = []
    for part in splits:
        path = corpora_dir() / "gsm8k" / f"{part}.jsonl"
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                sol = row["answer"]
                items.append(CorpusItem(
                    f"gsm8k-{part}-{i}", row["question"], _gsm8k_gold(sol),
                    {"values": gsm8k_values(sol), "solution": gsm8k_solution_text(sol)}))
    return items


CORPORA: Registry[Callable[[str], list[CorpusItem]]] = Registry("corpus", "corpora")
CORPORA.add("modarith", _modarith, "modular-arithmetic chains of k steps (the organisms' task; "
            "every intermediate value known)")
CORPORA.add("gsm8k", _gsm8k, "GSM8K grade-school maths, shipped (test + train; MIT)")
CORPORA.add("math500", _hf("HuggingFaceH4/MATH-500", None, "test", "problem", "answer"),
            "MATH-500 (needs the HF hub or a local datasets cache)")
CORPORA.add("aime2024", _hf("HuggingFaceH4/aime_2024", None, "train", "problem", "answer"),
            "AIME 2024 (needs the HF hub or a local datasets cache)")


def _local(path: Path) -> list[CorpusItem]:
    items = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                question = row.get("question") or row.get("problem")
                answer = row.get("answer", row.get("gold"))
            except (json.JSONDecodeError, AttributeError):
                raise CorpusUnavailable(f"{path}:{lineno}: not a JSON object") from None
            if not isinstance(question, str):
                raise CorpusUnavailable(f"{path}:{lineno}: no 'question' or 'problem' text")
            if isinstance(answer, str) and "####" in answer:
                answer = _gsm8k_gold(answer)
            pid = str(row.get("problem_id") or row.get("id") or row.get("unique_id") or lineno)
            items.append(CorpusItem(pid, question, None if answer is None else str(answer),
                                    {k: v for k, v in row.items() if k in ("k", "level", "type")}))
    return items


def load_corpus(name: str, split: str = "heldout", limit: int | None = None) -> list[CorpusItem]:
    """Items of corpus ``name`` (a registered name or a local JSONL path).

    Args:
        name: ``modarith``, ``gsm8k``, ``math500``, ``aime2024`` or a path.
        split: ``heldout`` (default), ``train`` or ``all``; for ``gsm8k`` ``heldout`` is its
            ``test`` split.
        limit: keep the first ``limit`` items.
    """
    if name in CORPORA:
        items = CORPORA[name](split)
    elif Path(name).is_file():
        items = _local(Path(name))
    else:
        raise CorpusUnavailable(
            f"unknown corpus {name!r}; valid corpora: {', '.join(CORPORA)}, or a .jsonl path"
        )
    return items[:limit] if limit is not None else items


def corpus_label(name: str) -> str:
    """The corpus name recorded in traces (a path becomes its file stem)."""
    return name if name in CORPORA else re.sub(r"\.jsonl?$", "", Path(name).name)
