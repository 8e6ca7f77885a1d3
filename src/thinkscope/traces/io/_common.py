"""Shared machinery of the importers: bad-record reporting, tolerant JSON/JSONL readers, registry.

Every importer is a generator over ``Trace | BadRecord``: a bad record never stops an import, it is
reported with its file and line, counted, and kept in the store's quarantine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...registry import Registry
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


IMPORTERS: Registry[ImporterSpec] = Registry("import format", "importers")


def register_importer(
    name: str, detect: DetectFn, description: str, directory: bool = False
) -> Callable[[ImportFn], ImportFn]:
    """Decorator adding an importer to ``IMPORTERS`` under ``name``."""

    def deco(fn: ImportFn) -> ImportFn:
        IMPORTERS.add(name, ImporterSpec(name, fn, detect, description, directory),
                      description)
        return fn

    return deco


def get_importer(name: str) -> ImporterSpec:
    """The importer called ``name``, or a clear error listing the valid names."""
    try:
        return IMPORTERS[name]
    except KeyError:
        valid = ", ".join(IMPORTERS)
        raise KeyError(f"unknown import format {name!r}; valid formats: auto, {valid}") from None


# ---------------------------------------------------------------------------- reading helpers
#: Deepest nesting of a record that importers accept (real trace records nest < 20 levels;
#: Python's JSON parser and everything after it recurse, so the bound keeps them safe).
MAX_DEPTH = 200


def read_text(path: Path) -> str:
    """File text without a UTF-8 byte-order mark; bytes that are not UTF-8 become lone
    surrogates (found by ``record_problem``)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def record_problem(value: Any) -> str | None:
    """What makes a parsed record unstorable, or None: text that is not valid Unicode (bytes
    that are not UTF-8, or a lone surrogate escape such as ``\\ud800``), or nesting deeper than
    ``MAX_DEPTH``. Iterative, so a deep record cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return "text that is not valid Unicode (non-UTF-8 bytes or a lone surrogate)"
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            if isinstance(item, dict):
                stack.extend((k, depth + 1) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return None


def has_bad_bytes(value: Any) -> bool:
    """True when ``value`` could not be stored as it is (see ``record_problem``)."""
    return record_problem(value) is not None


def loads(text: str) -> Any:
    """``json.loads`` whose failures are all ``ValueError`` (a nesting too deep for the parser
    raises RecursionError otherwise)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"nested deeper than the JSON parser allows (> {MAX_DEPTH})") from None


def printable(raw: str) -> str:
    """Raw input made safe to store as JSON text (undecodable bytes as ``\\xNN``)."""
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")


def raw_json(obj: Any) -> str:
    """A parsed record back as JSON text, for the quarantine."""
    try:
        return printable(json.dumps(obj, ensure_ascii=False))
    except (ValueError, RecursionError, TypeError):
        return printable(repr(obj)[:100000])


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any] | BadRecord]:
    """``(line_number, object)`` per non-empty line, or a ``BadRecord`` for a line that fails."""
    text = read_text(path)
    if not text.strip():
        yield BadRecord(str(path), None, "empty file: no records")
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if _SURROGATE.search(line):
            yield BadRecord(str(path), lineno, "bytes that are not valid UTF-8", printable(line))
            continue
        try:
            obj = loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(str(path), lineno, f"malformed JSON: {exc.msg} (col {exc.colno})",
                            printable(line))
            continue
        except ValueError as exc:
            yield BadRecord(str(path), lineno, str(exc), printable(line[:10000]))
            continue
        problem = record_problem(obj)
        if problem is not None:
            yield BadRecord(str(path), lineno, problem, printable(line[:100000]))
            continue
        yield lineno, obj


def _decode(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[Any, int]:
    try:
        return decoder.raw_decode(text, pos)
    except RecursionError:
        raise ValueError(f"nested deeper than the JSON parser allows (> {MAX_DEPTH})") from None


def _resync(decoder: json.JSONDecoder, text: str, start: int, err: int) -> int | None:
    """After a malformed array element (starting at ``start``, broken at ``err``), the start of
    the next element that parses and is followed by ``,`` or ``]``: the elements after a broken
    one still import."""
    pos = max(err, start)
    while True:
        pos = text.find("{", pos + 1)
        if pos < 0:
            return None
        try:
            _, end = _decode(decoder, text, pos)
        except ValueError:
            continue
        rest = text[end:end + 64].lstrip()
        if rest[:1] in (",", "]"):
            # Only an element start: the previous non-blank character closes the broken element.
            before = text[start:pos].rstrip()
            if before.endswith((",", "[")):
                return pos


def iter_json_items(path: Path, check: bool = True) -> Iterator[tuple[int, Any] | BadRecord]:
    """Elements of a top-level JSON array with their line numbers.

    Elements are decoded one by one, so a malformed element is reported (and quarantined) alone
    and the elements after it still import. A top-level object is yielded as a single element.
    ``check=False`` leaves checking for unstorable text to the caller (a log holding many
    records checks each one, instead of rejecting the whole file).
    """
    text = read_text(path)
    if not text.strip():
        yield BadRecord(str(path), None, "empty file: no records")
        return
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if text[pos] != "[":
        try:
            obj, _ = _decode(decoder, text, pos)
        except json.JSONDecodeError as exc:
            yield BadRecord(str(path), exc.lineno, f"malformed JSON: {exc.msg}",
                            printable(text[:100000]))
            return
        except ValueError as exc:
            yield BadRecord(str(path), 1, str(exc), printable(text[:10000]))
            return
        problem = record_problem(obj) if check else None
        if problem is not None:
            yield BadRecord(str(path), 1, problem, printable(text[:100000]))
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
            obj, end = _decode(decoder, text, pos)
        except ValueError as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            nxt = _resync(decoder, text, pos,
                          exc.pos if isinstance(exc, json.JSONDecodeError) else pos)
            yield BadRecord(
                str(path), line, f"malformed JSON element: {msg}"
                + ("" if nxt is not None else "; rest of file not read"),
                printable(text[pos:nxt if nxt is not None else len(text)][:100000]),
            )
            if nxt is None:
                return
            pos = nxt
            continue
        problem = record_problem(obj) if check else None
        if problem is not None:
            yield BadRecord(str(path), line, problem, printable(text[pos:end][:100000]))
        else:
            yield line, obj
        pos = end


def describe(exc: BaseException) -> str:
    """An exception as a short reason (pydantic errors as ``field: message``)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "record"
            return f"{where}: {first['msg']}"
        except Exception:  # noqa: BLE001 - fall back to the plain text
            pass
    return f"{type(exc).__name__}: {exc}"


def isolate(path: Path, line: int | None, obj: Any,
            convert: Callable[..., Iterable[Record]], *args: Any) -> list[Record]:
    """Run one record's conversion, ``convert(*args)``, so that whatever it raises (a wrong
    type anywhere, a missing key) becomes that record's ``BadRecord`` and the rest of the file
    goes on."""
    try:
        return list(convert(*args))
    except Exception as exc:  # noqa: BLE001 - one bad record must never stop its file
        return [BadRecord(str(path), line, f"invalid record: {describe(exc)}", raw_json(obj))]


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
        items = iter_jsonl(path) if path.suffix == ".jsonl" else iter_json_items(path, False)
        for item in items:
            if not isinstance(item, BadRecord):
                return item[1]
    except (OSError, UnicodeError, ValueError, RecursionError):
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
    (re.compile(r"organism:(?:[a-z0-9]+-)?rl-|\br1\b|-r1-|r1-distill|qwq|reason|thinking|"
                r"o1|o3|o4-mini", re.I), ModelKind.rl),
    (re.compile(r"organism:(?:[a-z0-9]+-)?sft-", re.I), ModelKind.sft),
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
