"""Importer for thinkscope's own JSONL export (one ``Trace`` per line), for round trips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from .._schema import Trace, v1_identity
from ._common import (
    BadRecord,
    ImportOptions,
    Record,
    describe,
    has_keys,
    iter_jsonl,
    raw_json,
    register_importer,
)


def _detect(path: Path) -> bool:
    return path.suffix == ".jsonl" and has_keys(path, "schema_version", "trace_id", "model")


@register_importer("thinkscope", _detect, "thinkscope's own JSONL export (one Trace per line)")
def read_native(path: Path, opts: ImportOptions) -> Iterator[Record]:
    for item in iter_jsonl(path):
        if isinstance(item, BadRecord):
            yield item
            continue
        line, obj = item
        if isinstance(obj, dict) and "identity" not in obj and obj.get("schema_version") == 1:
            # exported by schema 1: imported traces there are identified by content now
            obj["identity"] = v1_identity(obj.get("source"), obj.get("perturbation"),
                                          obj.get("backend"))
        try:
            trace = Trace.model_validate(obj)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            yield BadRecord(str(path), line, f"invalid trace: {where}: {first['msg']}",
                            raw_json(obj))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad record must never stop its file
            yield BadRecord(str(path), line, f"invalid trace: {describe(exc)}", raw_json(obj))
            continue
        if trace.source is None:
            trace.source = f"{path}:{line}"  # where it was read from, for error messages
        yield trace
