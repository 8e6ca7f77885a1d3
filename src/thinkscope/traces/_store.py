"""TraceStore: a directory of parquet shards made crash-safe by an append-only journal.

Layout::

    STORE/
      store.json            format name and schema version
      journal.jsonl         one line per committed shard: {"op": "add", "shard", "n", "keys"}
      shards/part-*.parquet immutable shards
      quarantine/*.jsonl    records that could not be imported, with the reason
      .lock                 writers hold an exclusive flock while committing

Commit protocol for one batch: write ``shards/.tmp-*.parquet``, fsync, rename to its final name,
then append the journal line and fsync. The journal line is the commit point: a shard on disk
without one (a writer killed between rename and append) is an orphan, ignored by readers and
removed by the next writer. A torn last journal line (killed mid-append) is ignored and truncated.
So a writer killed at any instant loses at most its in-flight batch, and because committed keys
are skipped on write, rerunning the same job never duplicates a trace.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._schema import SCHEMA_VERSION, Trace
from ._table import ARROW_SCHEMA, row_to_trace, traces_to_table

STORE_FORMAT = "thinkscope-trace-store"


class StoreError(RuntimeError):
    """The directory is not a usable trace store (wrong format, newer version, ...)."""


@dataclass
class AppendResult:
    """What one ``append`` call did."""

    written: int = 0
    duplicates: int = 0
    shards: int = 0

    def __iadd__(self, other: AppendResult) -> AppendResult:
        self.written += other.written
        self.duplicates += other.duplicates
        self.shards += other.shards
        return self


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TraceStore:
    """A versioned, crash-safe, resumable store of traces.

    Args:
        root: the store directory.
        create: create the directory when missing (otherwise a missing store is an error).
    """

    def __init__(self, root: str | os.PathLike[str], create: bool = True) -> None:
        self.root = Path(root)
        self.shard_dir = self.root / "shards"
        self.quarantine_dir = self.root / "quarantine"
        self.journal_path = self.root / "journal.jsonl"
        meta_path = self.root / "store.json"
        if not meta_path.exists():
            if not create:
                raise StoreError(f"{self.root}: not a thinkscope trace store (no store.json)")
            self.shard_dir.mkdir(parents=True, exist_ok=True)
            tmp = meta_path.with_suffix(".json.tmp")
            tmp.write_text(
                json.dumps({"format": STORE_FORMAT, "schema_version": SCHEMA_VERSION}) + "\n"
            )
            os.replace(tmp, meta_path)
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{meta_path}: unknown store format {meta.get('format')!r}")
        if int(meta.get("schema_version", 0)) > SCHEMA_VERSION:
            raise StoreError(
                f"{meta_path}: store schema_version {meta['schema_version']} is newer than this "
                f"thinkscope understands ({SCHEMA_VERSION}); upgrade thinkscope"
            )
        self.shard_dir.mkdir(parents=True, exist_ok=True)
        # Parsed journal, read incrementally: (inode, bytes consumed, live shard -> keys).
        self._jcache: tuple[int, int, dict[str, list[str]]] = (-1, 0, {})

    # ------------------------------------------------------------------ journal
    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _live_shards(self) -> dict[str, list[str]]:
        """Committed shard name -> keys, replaying the journal's operations in order.

        Only the bytes appended since the last call are parsed (the journal is append-only; a
        compaction replaces the file, which a new inode reveals). The part after the final
        newline is a torn write that never committed anything, so it is not consumed.
        """
        try:
            st = os.stat(self.journal_path)
        except FileNotFoundError:
            self._jcache = (-1, 0, {})
            return {}
        inode, offset, shards = self._jcache
        if st.st_ino != inode or st.st_size < offset:
            inode, offset, shards = st.st_ino, 0, {}
        if st.st_size > offset:
            with open(self.journal_path, "rb") as fh:
                fh.seek(offset)
                data = fh.read(st.st_size - offset)
            end = data.rfind(b"\n") + 1
            for raw in data[:end].split(b"\n"):
                if not raw.strip():
                    continue
                try:
                    entry = json.loads(raw)
                except json.JSONDecodeError:
                    continue  # a torn line later followed by a newline: it committed nothing
                if entry.get("op") == "add":
                    shards[entry["shard"]] = entry["keys"]
                elif entry.get("op") == "remove":
                    shards.pop(entry["shard"], None)
            offset += end
        self._jcache = (inode, offset, shards)
        return dict(shards)

    def _repair(self) -> None:
        """Under the lock: drop a torn journal tail and delete orphan shards and temp files."""
        if self.journal_path.exists():
            data = self.journal_path.read_bytes()
            if data and not data.endswith(b"\n"):
                cut = data.rfind(b"\n") + 1
                with open(self.journal_path, "r+b") as fh:
                    fh.truncate(cut)
                    fh.flush()
                    os.fsync(fh.fileno())
        live = set(self._live_shards())
        for path in self.shard_dir.iterdir():
            if path.name not in live:
                path.unlink(missing_ok=True)

    def _append_journal(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write_shard(self, table: pa.Table) -> str:
        name = f"part-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = self.shard_dir / f".tmp-{name}"
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.shard_dir / name)
        _fsync_dir(self.shard_dir)
        return name

    # ------------------------------------------------------------------ writing
    def keys(self) -> set[str]:
        """Idempotency keys of every committed trace."""
        return {k for keys in self._live_shards().values() for k in keys}

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def append(self, traces: Iterable[Trace], batch_size: int = 256) -> AppendResult:
        """Commit traces in batches of ``batch_size``; already-stored keys are skipped."""
        result = AppendResult()
        batch: list[Trace] = []
        for trace in traces:
            batch.append(trace)
            if len(batch) >= batch_size:
                result += self.write_batch(batch)
                batch = []
        if batch:
            result += self.write_batch(batch)
        return result

    def write_batch(self, traces: Sequence[Trace]) -> AppendResult:
        """Commit one batch atomically (one shard + one journal line)."""
        with self._locked():
            self._repair()
            known = self.keys()
            fresh: list[Trace] = []
            for trace in traces:
                if trace.key in known:
                    continue
                known.add(trace.key)
                fresh.append(trace)
            dup = len(traces) - len(fresh)
            if not fresh:
                return AppendResult(written=0, duplicates=dup, shards=0)
            name = self._write_shard(traces_to_table(fresh))
            self._append_journal(
                {"op": "add", "shard": name, "n": len(fresh), "keys": [t.key for t in fresh]}
            )
        return AppendResult(written=len(fresh), duplicates=dup, shards=1)

    def compact(self) -> int:
        """Rewrite all committed shards as one; returns the number of traces kept."""
        with self._locked():
            self._repair()
            live = self._live_shards()
            if len(live) <= 1:
                return sum(len(k) for k in live.values())
            table = self._read_table(list(live))
            name = self._write_shard(table)
            keys = table.column("key").to_pylist()
            # Swap the journal atomically: the new one lists only the compacted shard.
            tmp = self.journal_path.with_suffix(".jsonl.tmp")
            with open(tmp, "w") as fh:
                fh.write(json.dumps({"op": "add", "shard": name, "n": len(keys), "keys": keys}))
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.journal_path)
            _fsync_dir(self.root)
            self._repair()  # the old shards are now orphans
            return len(keys)

    # ------------------------------------------------------------------ reading
    def _read_table(self, shard_names: list[str], columns: list[str] | None = None) -> pa.Table:
        if not shard_names:
            return ARROW_SCHEMA.empty_table() if columns is None else pa.table(
                {c: pa.array([], type=ARROW_SCHEMA.field(c).type) for c in columns}
            )
        cols = None if columns is None else list(dict.fromkeys(["key", *columns]))
        tables = [pq.read_table(self.shard_dir / n, columns=cols) for n in sorted(shard_names)]
        table = pa.concat_tables(tables, promote_options="default")
        # Defensive: keys are unique by construction; dedupe anyway so a bug can't double-count.
        keys = table.column("key").to_pylist()
        if len(set(keys)) != len(keys):
            seen: set[str] = set()
            keep = [not (k in seen or seen.add(k)) for k in keys]  # type: ignore[func-returns-value]
            table = table.filter(pa.array(keep))
        if columns is not None and "key" not in columns:
            table = table.drop_columns(["key"])
        return table

    def to_arrow(self, columns: list[str] | None = None) -> pa.Table:
        """All committed traces as one Arrow table."""
        return self._read_table(list(self._live_shards()), columns)

    def to_pandas(
        self,
        model: str | Sequence[str] | None = None,
        corpus: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """Traces as a DataFrame (one row per trace), optionally filtered by model/corpus/kind."""
        need = None
        if columns is not None:
            need = list(dict.fromkeys([*columns, "model_id", "corpus", "model_kind"]))
        df = self.to_arrow(need).to_pandas()
        for col, want in (("model_id", model), ("corpus", corpus), ("model_kind", kind)):
            if want is None:
                continue
            values = [want] if isinstance(want, str) else list(want)
            df = df[df[col].isin(values)]
        if columns is not None:
            df = df[columns]
        return df.reset_index(drop=True)

    def iter_traces(self, **filters: Any) -> Iterator[Trace]:
        """Traces as validated ``Trace`` objects (filters as in ``to_pandas``)."""
        df = self.to_pandas(**filters)
        for row in df.to_dict(orient="records"):
            yield row_to_trace(row)

    def get(self, trace_id: str) -> Trace:
        """One trace by id (a unique prefix is enough)."""
        df = self.to_pandas()
        hit = df[df["trace_id"].str.startswith(trace_id)]
        if len(hit) == 0:
            raise KeyError(f"no trace with id {trace_id!r} in {self.root}")
        if len(hit) > 1:
            raise KeyError(f"trace id prefix {trace_id!r} is ambiguous ({len(hit)} traces)")
        return row_to_trace(hit.iloc[0].to_dict())

    def __len__(self) -> int:
        return sum(len(k) for k in self._live_shards().values())

    # ------------------------------------------------------------------ quarantine
    def quarantine(self, records: Iterable[dict[str, Any]], run: str | None = None) -> Path | None:
        """Keep bad input records (with their reason) under ``quarantine/``; returns the file."""
        records = list(records)
        if not records:
            return None
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        run = run or f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        path = self.quarantine_dir / f"{run}.jsonl"
        with open(path, "a", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return path

    def quarantined_count(self) -> int:
        """Number of quarantined records over all runs."""
        if not self.quarantine_dir.exists():
            return 0
        n = 0
        for path in self.quarantine_dir.glob("*.jsonl"):
            with open(path, "rb") as fh:
                n += sum(1 for line in fh if line.strip())
        return n

    def stats(self) -> dict[str, Any]:
        """Counts by model, corpus and model kind, plus the quarantine size."""
        df = self.to_pandas(columns=["model_id", "corpus", "model_kind"])
        return {
            "traces": int(len(df)),
            "by_model": {str(k): int(v) for k, v in df["model_id"].value_counts().items()},
            "by_corpus": {str(k): int(v) for k, v in df["corpus"].value_counts().items()},
            "by_kind": {str(k): int(v) for k, v in df["model_kind"].value_counts().items()},
            "quarantined": self.quarantined_count(),
        }
