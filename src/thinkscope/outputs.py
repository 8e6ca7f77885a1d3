"""Atomic, self-describing analysis outputs.

An analysis writes its files into a temporary folder beside their destination; only when all
of them are written are they moved into place, bracketed by a manifest
(``<name>.manifest.json``) that records each file's SHA-256, the analysis' inputs (store state,
parameters, plan hash) and the thinkscope version. The manifest is written first as
``committing`` and rewritten as ``complete`` after the last move, so a run killed at any instant
leaves either the old complete outputs, or outputs that ``verify_outputs`` reports as
incomplete or mixed; a report never silently merges a new table with an old summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MANIFEST_SUFFIX = ".manifest.json"
#: Files an analysis writes that a report reads; any such file must be covered by a manifest.
_OUTPUT_SUFFIXES = (".parquet", ".json", ".png")


def _version() -> str:
    from . import __version__

    return str(__version__)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def plan_hash(obj: Any) -> str:
    """A short stable hash of a JSON-able description of what a step will do."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=1, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@contextmanager
def atomic_outputs(dest: str | Path, name: str, inputs: dict[str, Any] | None = None
                   ) -> Iterator[Path]:
    """Yield a scratch folder; on a clean exit, move its files into ``dest`` under a manifest.

    Args:
        dest: the output folder (created when missing; other analyses' files there are kept).
        name: the analysis name; the manifest is ``dest/<name>.manifest.json``.
        inputs: what the outputs were computed from (store state, parameters, plan hash).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        files = {str(p.relative_to(tmp)): file_sha256(p)
                 for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {"name": name, "status": "committing", "files": files,
                    "inputs": inputs or {}, "thinkscope_version": _version(),
                    "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        mpath = dest / f"{name}{MANIFEST_SUFFIX}"
        _write_json(mpath, manifest)
        for rel in files:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, target)
        manifest["status"] = "complete"
        _write_json(mpath, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_manifests(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Manifest name -> manifest, for every manifest in ``folder``."""
    out = {}
    for path in sorted(Path(folder).glob(f"*{MANIFEST_SUFFIX}")):
        try:
            out[path.name[: -len(MANIFEST_SUFFIX)]] = json.loads(path.read_text())
        except (OSError, ValueError):
            out[path.name[: -len(MANIFEST_SUFFIX)]] = {"status": "unreadable", "files": {}}
    return out


def verify_outputs(folder: str | Path) -> list[str]:
    """Problems with the outputs under ``folder`` (recursively), one line each: a write that
    never completed, a file changed or replaced after its manifest (mixed outputs from two
    runs), a missing file, or an output file no manifest covers. Empty when all is well."""
    root = Path(folder)
    problems: list[str] = []
    dirs = sorted({p.parent for p in root.rglob(f"*{MANIFEST_SUFFIX}")})
    covered: set[Path] = set()
    for d in dirs:
        for name, man in read_manifests(d).items():
            where = d / f"{name}{MANIFEST_SUFFIX}"
            if man.get("status") != "complete":
                problems.append(f"{where}: write of '{name}' did not complete "
                                f"({man.get('status')}); rerun it")
            for rel, sha in (man.get("files") or {}).items():
                path = d / rel
                covered.add(path)
                if not path.exists():
                    problems.append(f"{path}: listed in {where.name} but missing")
                elif file_sha256(path) != sha:
                    problems.append(f"{path}: changed since {where.name} was written (mixed "
                                    "outputs of two runs); rerun the analysis")
    for d in dirs:
        for path in sorted(d.iterdir()):
            if (path.is_file() and path.suffix in _OUTPUT_SUFFIXES
                    and not path.name.endswith(MANIFEST_SUFFIX) and path not in covered
                    and not path.name.startswith(".")):
                problems.append(f"{path}: not covered by any manifest in {d}")
    return problems
