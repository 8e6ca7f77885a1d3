"""Import files and directories into a TraceStore, format by format or auto-detected.

Good records are committed in batches as they come (a killed import resumes: committed traces are
skipped as duplicates on the rerun); bad ones are reported in one line each, counted, and written
to the store's quarantine before the next file starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tqdm.auto import tqdm

from .._schema import Trace
from .._store import TraceStore
from ._common import IMPORTERS, BadRecord, FileSummary, ImporterSpec, ImportOptions, get_importer

#: Order in which ``--format auto`` tries the file detectors (most specific first).
AUTO_ORDER = ("thinkscope", "bbm", "annotated", "inspect", "openai-chat")
#: Extensions that hold trace data; other files met in a directory walk (README, LICENSE) are
#: listed as skipped, not counted as bad.
DATA_SUFFIXES = (".json", ".jsonl", ".eval")


@dataclass
class ImportSummary:
    """Per-file results of an import run."""

    files: list[FileSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    quarantine: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def bad(self) -> int:
        return sum(f.bad for f in self.files)


@dataclass
class _Unit:
    path: Path
    spec: ImporterSpec | None
    problem: str | None = None


#: Keys of a record that holds model output; a question/answer record without any is a task.
_OUTPUT_KEYS = {"completion", "response", "responses", "output", "outputs", "messages",
                "reasoning", "annotated_response", "generation", "model_output", "solution"}


def is_task_corpus(head: bytes) -> bool:
    """Whether a JSONL file starts with a task record (GSM8K-style ``question`` + ``answer``,
    nothing a model wrote): a corpus met in a directory walk is skipped, not reported bad."""
    line = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    try:
        rec = json.loads(line)
    except ValueError:
        return False
    return (isinstance(rec, dict) and bool({"question", "problem"} & rec.keys())
            and "answer" in rec and not (_OUTPUT_KEYS & rec.keys()))


def _detect_file(path: Path) -> ImporterSpec | None:
    for name in AUTO_ORDER:
        spec = IMPORTERS[name]
        try:
            if spec.detect(path):
                return spec
        except OSError:
            return None
    return None


def discover(paths: Iterable[str | os.PathLike[str]], fmt: str = "auto") -> tuple[list[_Unit],
                                                                                 list[str]]:
    """Expand paths into import units ``(path, importer)``, plus skipped non-data files."""
    forced = None if fmt == "auto" else get_importer(fmt)
    units: list[_Unit] = []
    skipped: list[str] = []
    ta = IMPORTERS["thought-anchors"]

    def visit(path: Path, top: bool) -> None:
        if path.is_dir():
            if (forced is None or forced is ta) and ta.detect(path):
                units.append(_Unit(path, ta))
                return
            if forced is not None and forced.directory and top and not any(path.iterdir()):
                units.append(_Unit(path, None, f"no {forced.name} problem directories found"))
                return
            for child in sorted(path.iterdir()):
                if not child.name.startswith("."):
                    visit(child, False)
            return
        if not path.exists():
            units.append(_Unit(path, None, "no such file or directory"))
            return
        if forced is not None:
            if forced.directory:
                if top:
                    units.append(_Unit(path, None, f"format {forced.name} takes a directory"))
                else:
                    skipped.append(str(path))
                return
            if top or path.suffix in DATA_SUFFIXES:
                units.append(_Unit(path, forced))
            else:
                skipped.append(str(path))
            return
        if path.suffix not in DATA_SUFFIXES:
            if top:
                units.append(_Unit(path, None, "not a trace file (.json, .jsonl or .eval)"))
            else:
                skipped.append(str(path))
            return
        with open(path, "rb") as fh:
            head = fh.read(65536)
        if not head.strip():
            units.append(_Unit(path, None, "empty file: no records"))
            return
        spec = _detect_file(path)
        if spec is None and is_task_corpus(head):
            if top:
                units.append(_Unit(path, None, "a task corpus (questions and answers, no model "
                                               "output), not traces: pass it to --corpus"))
            else:
                skipped.append(str(path))
            return
        if spec is None:
            units.append(
                _Unit(path, None, "unrecognised trace format (pass --format; see --help)")
            )
        else:
            units.append(_Unit(path, spec))

    for p in paths:
        visit(Path(p), True)
    return units, skipped


def _records(unit: _Unit, opts: ImportOptions) -> Iterator[Trace | BadRecord]:
    if unit.spec is None:
        yield BadRecord(str(unit.path), None, unit.problem or "cannot import")
        return
    try:
        yield from unit.spec.read(unit.path, opts)
    except Exception as exc:  # noqa: BLE001 - an importer crash is one file's failure, not the run's
        yield BadRecord(str(unit.path), None, f"{unit.spec.name} importer failed: "
                        f"{type(exc).__name__}: {exc}")


def import_paths(
    paths: Iterable[str | os.PathLike[str]],
    store: TraceStore,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    batch_size: int = 256,
    progress: bool = True,
    on_error: Callable[[BadRecord], None] | None = None,
) -> ImportSummary:
    """Import every trace found under ``paths`` into ``store``.

    Args:
        paths: files or directories (walked recursively).
        store: the destination store.
        fmt: an importer name or ``auto``.
        options: model / model kind / corpus overrides.
        batch_size: traces per committed shard.
        progress: show a progress bar.
        on_error: called once per bad record (the CLI prints ``record.message()``).
    """
    opts = options or ImportOptions()
    units, skipped = discover(paths, fmt)
    summary = ImportSummary(skipped=skipped)
    run = f"import-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
    bar = tqdm(total=len(units), unit="file", disable=not progress, desc="import")
    for unit in units:
        fs = FileSummary(str(unit.path), unit.spec.name if unit.spec else "-")
        batch: list[Trace] = []
        bad: list[BadRecord] = []
        for rec in _records(unit, opts):
            if isinstance(rec, BadRecord):
                fs.bad += 1
                fs.errors.append(rec.message())
                bad.append(rec)
                if on_error is not None:
                    on_error(rec)
                continue
            batch.append(rec)
            if len(batch) >= batch_size:
                res = store.write_batch(batch)
                fs.imported += res.written
                fs.duplicates += res.duplicates
                batch = []
                bar.set_postfix(traces=summary.imported + fs.imported)
        if batch:
            res = store.write_batch(batch)
            fs.imported += res.written
            fs.duplicates += res.duplicates
        if bad:
            qpath = store.quarantine((b.to_json() for b in bad), run=run)
            if qpath is not None and str(qpath) not in summary.quarantine:
                summary.quarantine.append(str(qpath))
        summary.files.append(fs)
        bar.update(1)
        bar.set_postfix(traces=summary.imported)
    bar.close()
    return summary
