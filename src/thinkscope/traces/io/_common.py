"""Shared machinery of the importers: bad-record reporting, tolerant JSON/JSONL readers, registry.

Every importer is a generator over ``Trace | BadRecord``: a bad record never stops an import, it is
reported with its file and line, counted, and kept in the store's quarantine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._schema import ModelKind, Trace

# Lone surrogates appear where ``surrogateescape`` decoding met bytes that are not UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class BadRecord:
    """An input record that could not become a trace, and why."""

    path: str
    line: int | None
    reason: str
    raw: str | None = None

    def message(self) -> str:
        """One line: ``path:line: reason``."""
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        reason = " ".join(self.reason.split())
        if len(reason) > 300:
            reason = reason[:297] + "..."
        return f"{where}: {reason}"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "reason": self.reason, "raw": self.raw}


@dataclass
class ImportOptions:
    """Options common to all importers."""

    model: str | None = None
    model_kind: ModelKind | None = None
    corpus: str | None = None


Record = Trace | BadRecord
ImportFn = Callable[[Path, ImportOptions], Iterator[Record]]
DetectFn = Callable[[Path], bool]


@dataclass
class ImporterSpec:
    """A registered importer: its name, reader, format sniffer and a one-line description."""

    name: str
    read: ImportFn
    detect: DetectFn
    description: str
    #: True when the importer takes a directory as one unit (e.g. a Thought Anchors problem).
    directory: bool = False


IMPORTERS: dict[str, ImporterSpec] = {}


def register_importer(
    name: str, detect: DetectFn, description: str, directory: bool = False
) -> Callable[[ImportFn], ImportFn]:
    """Decorator adding an importer to ``IMPORTERS`` under ``name``."""

    def deco(fn: ImportFn) -> ImportFn:
        if name in IMPORTERS:
            raise ValueError(f"importer {name!r} registered twice")
        IMPORTERS[name] = ImporterSpec(name, fn, detect, description, directory)
        return fn

    return deco


def get_importer(name: str) -> ImporterSpec:
    """The importer called ``name``, or a clear error listing the valid names."""
    try:
        return IMPORTERS[name]
    except KeyError:
        valid = ", ".join(sorted(IMPORTERS))
        raise KeyError(f"unknown import format {name!r}; valid formats: auto, {valid}") from None


# ---------------------------------------------------------------------------- reading helpers
def read_text(path: Path) -> str:
    """File text; bytes that are not UTF-8 become lone surrogates (found by ``has_bad_bytes``)."""
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def has_bad_bytes(value: Any) -> bool:
    """True when any string inside ``value`` carries non-UTF-8 bytes."""
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(has_bad_bytes(k) or has_bad_bytes(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_bytes(v) for v in value)
    return False


def printable(raw: str) -> str:
    """Raw input made safe to store as JSON text (undecodable bytes as ``\\xNN``)."""
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")


def raw_json(obj: Any) -> str:
    """A parsed record back as JSON text, for the quarantine."""
    return json.dumps(obj, ensure_ascii=False)


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any] | BadRecord]:
    """``(line_number, object)`` per non-empty line, or a ``BadRecord`` for a line that fails."""
    text = read_text(path)
    if not text.strip():
        yield BadRecord(str(path), None, "empty file: no records")
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if has_bad_bytes(line):
            yield BadRecord(str(path), lineno, "bytes that are not valid UTF-8", printable(line))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(str(path), lineno, f"malformed JSON: {exc.msg} (col {exc.colno})", line)
            continue
        yield lineno, obj


def iter_json_items(path: Path) -> Iterator[tuple[int, Any] | BadRecord]:
    """Elements of a top-level JSON array with their line numbers.

    Elements are decoded one by one, so a syntax error late in the file still lets the elements
    before it through; the broken tail is reported (and quarantined) as one bad record. A
    top-level object is yielded as a single element.
    """
    text = read_text(path)
    if not text.strip():
        yield BadRecord(str(path), None, "empty file: no records")
        return
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if text[pos] != "[":
        try:
            obj, _ = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield BadRecord(str(path), exc.lineno, f"malformed JSON: {exc.msg}", printable(text))
            return
        if has_bad_bytes(obj):
            yield BadRecord(str(path), 1, "bytes that are not valid UTF-8", printable(text))
            return
        yield 1, obj
        return
    pos += 1
    line = 1 + text.count("\n", 0, pos)
    last = pos
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            yield BadRecord(str(path), line, "malformed JSON: array is not closed", None)
            return
        if text[pos] == "]":
            return
        line += text.count("\n", last, pos)
        last = pos
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield BadRecord(
                str(path), exc.lineno, f"malformed JSON: {exc.msg}; rest of file not read",
                printable(text[pos:]),
            )
            return
        if has_bad_bytes(obj):
            yield BadRecord(
                str(path), line, "bytes that are not valid UTF-8", printable(text[pos:end])
            )
        else:
            yield line, obj
        pos = end


def first_record(path: Path) -> Any:
    """The first parsed record of a JSON/JSONL file (None if unreadable), for format sniffing.

    Sniffing by keys of a parsed record instead of a byte prefix: real records can be megabytes
    long, with the telling keys at the end. Cached per file version, since every detector asks.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    return _first_record(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _first_record(path_str: str, mtime_ns: int, size: int) -> Any:
    path = Path(path_str)
    try:
        items = iter_jsonl(path) if path.suffix == ".jsonl" else iter_json_items(path)
        for item in items:
            if not isinstance(item, BadRecord):
                return item[1]
    except (OSError, UnicodeError):
        return None
    return None


def has_keys(path: Path, *keys: str) -> bool:
    """True when the file's first record is an object with all of ``keys``."""
    rec = first_record(path)
    return isinstance(rec, dict) and all(k in rec for k in keys)


def require(obj: Any, fields: dict[str, type | tuple[type, ...]]) -> str | None:
    """The first problem with ``obj``'s required fields, as a message, or None if all is well."""
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    for name, typ in fields.items():
        if name not in obj:
            return f"missing field {name!r}"
        if not isinstance(obj[name], typ):
            want = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            return f"field {name!r} should be {want}, got {type(obj[name]).__name__}"
    return None


# Name patterns -> model kind, checked in order; documented in the README. Users override with
# --model-kind; "unknown" is the honest default.
_KIND_PATTERNS: list[tuple[re.Pattern[str], ModelKind]] = [
    (re.compile(r"organism:.*latent|organism:.*filler", re.I), ModelKind.latent),
    (re.compile(r"organism:rl|\br1\b|-r1-|r1-distill|qwq|reason|thinking|o1|o3|o4-mini", re.I),
     ModelKind.rl),
    (re.compile(r"organism:sft", re.I), ModelKind.sft),
    (re.compile(r"instruct|chat|-it\b", re.I), ModelKind.instruct),
    (re.compile(r"\bbase\b", re.I), ModelKind.base),
]


def guess_model_kind(model_id: str) -> ModelKind:
    """Best guess of how a model was trained, from its name (R1 distills count as ``rl``)."""
    for pattern, kind in _KIND_PATTERNS:
        if pattern.search(model_id):
            return kind
    return ModelKind.unknown


@dataclass
class FileSummary:
    """What an import did for one input path."""

    path: str
    format: str
    imported: int = 0
    duplicates: int = 0
    bad: int = 0
    errors: list[str] = field(default_factory=list)
