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

from ...progress import progress_bar
from .._schema import Trace
from .._store import AppendResult, StoreError, TraceStore
from ._common import (
    IMPORTERS,
    BadRecord,
    FileSummary,
    ImporterSpec,
    ImportOptions,
    describe,
    get_importer,
    printable,
    record_problem,
)

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
    #: Set when the store refused a write (disk full, read-only, corrupt): the import stopped
    #: there, and only what the counts say was stored.
    error: str | None = None

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
    except (ValueError, RecursionError):
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


def _path_safe(trace: Trace) -> Trace:
    """A trace whose path-derived names (file names need not be UTF-8) are storable text."""
    fields = (trace.source, trace.problem_id, trace.corpus, trace.model.id, trace.record_id)
    if all(f is None or record_problem(f) is None for f in fields):
        return trace
    data = trace.model_dump()
    for name in ("source", "problem_id", "corpus", "record_id"):
        if data[name] is not None:
            data[name] = printable(data[name])
    data["model"]["id"] = printable(data["model"]["id"])
    data["trace_id"] = ""
    return Trace.model_validate(data)


def _records(unit: _Unit, opts: ImportOptions) -> Iterator[Trace | BadRecord]:
    where = printable(str(unit.path))
    if unit.spec is None:
        yield BadRecord(where, None, unit.problem or "cannot import")
        return
    try:
        for rec in unit.spec.read(unit.path, opts):
            if isinstance(rec, BadRecord):
                rec.path = printable(rec.path)
                yield rec
            else:
                yield _path_safe(rec)
    except Exception as exc:  # noqa: BLE001 - an importer crash is one file's failure, not the run's
        yield BadRecord(where, None, f"{unit.spec.name} importer failed: {describe(exc)}")


def _conflict(trace: Trace) -> BadRecord:
    path, _, line = (trace.source or "?").rpartition(":")
    return BadRecord(
        path if line.isdigit() else (trace.source or "?"), int(line) if line.isdigit() else None,
        f"trace_id {trace.trace_id} is already stored for a different record; not merged",
        json.dumps(trace.model_dump(mode="json"), ensure_ascii=False))


def _write(store: TraceStore, batch: list[Trace]) -> tuple[AppendResult, list[BadRecord]]:
    """Commit a batch; a trace the store cannot take (a conflict, a value that cannot be
    written) becomes a bad record while the rest commit. ``StoreError`` propagates."""
    try:
        res = store.write_batch(batch)
    except StoreError:
        raise
    except Exception:  # noqa: BLE001 - find the trace(s) at fault one by one
        res, bad = AppendResult(), []
        for trace in batch:
            try:
                res += store.write_batch([trace])
            except StoreError:
                raise
            except Exception as exc:  # noqa: BLE001
                bad.append(BadRecord(trace.source or "?", None,
                                     f"cannot be stored: {describe(exc)}"))
        return res, bad + [_conflict(t) for t in res.conflicts]
    return res, [_conflict(t) for t in res.conflicts]


@dataclass
class _FileImport:
    """One input file's import in progress: its pending batch, counts and bad records."""

    store: TraceStore
    fs: FileSummary
    on_error: Callable[[BadRecord], None] | None
    batch: list[Trace] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)

    def note(self, rec: BadRecord) -> None:
        self.fs.bad += 1
        self.fs.errors.append(rec.message())
        self.bad.append(rec)
        if self.on_error is not None:
            self.on_error(rec)

    def flush(self) -> None:
        res, refused = _write(self.store, self.batch)
        self.fs.imported += res.written
        self.fs.duplicates += res.duplicates
        for rec in refused:
            self.note(rec)
        self.batch.clear()


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
    bar = progress_bar(total=len(units), unit="file", disable=not progress, desc="import")
    for unit in units:
        job = _FileImport(store, FileSummary(printable(str(unit.path)),
                                             unit.spec.name if unit.spec else "-"), on_error)
        try:
            for rec in _records(unit, opts):
                if isinstance(rec, BadRecord):
                    job.note(rec)
                    continue
                job.batch.append(rec)
                if len(job.batch) >= batch_size:
                    job.flush()
                    bar.set_postfix(traces=summary.imported + job.fs.imported)
            if job.batch:
                job.flush()
        except StoreError as exc:
            summary.error = str(exc)
        try:
            if job.bad:
                qpath = store.quarantine((b.to_json() for b in job.bad), run=run)
                if qpath is not None and str(qpath) not in summary.quarantine:
                    summary.quarantine.append(str(qpath))
        except StoreError as exc:
            summary.error = summary.error or str(exc)
        summary.files.append(job.fs)
        bar.update(1)
        bar.set_postfix(traces=summary.imported)
        if summary.error is not None:
            break
    bar.close()
    return summary


def import_data(data: str | Path, store_root: str | Path, fmt: str = "auto",
                log: Callable[[str], None] | None = print) -> TraceStore:
    """Import ``data`` (a file or folder) into the store at ``store_root`` (created if absent;
    idempotent: a rerun adds nothing) and say what happened in one line."""
    store = TraceStore(store_root, create=True)
    summary = import_paths([data], store, fmt=fmt, progress=False)
    if log is not None:
        log(f"imported {summary.imported} traces ({summary.duplicates} already stored, "
            f"{summary.bad} bad records quarantined) from {data}")
    return store
