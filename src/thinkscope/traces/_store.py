"""TraceStore: a directory of parquet shards made crash-safe by an append-only journal.

Layout::

    STORE/
      store.json            format name and schema version
      journal.jsonl         one checksummed line per committed shard (see ``_journal``)
      shards/part-*.parquet immutable shards
      orphans/              shards no journal line commits, moved aside (never deleted)
      quarantine/*.jsonl    records that could not be imported, with the reason
      .lock                 writers hold an exclusive flock while committing

Commit protocol for one batch: write ``shards/.tmp-*.parquet``, fsync, rename to its final name,
then append the journal line and fsync. The journal line is the commit point: a shard on disk
without one (a writer killed between rename and append) is an orphan, ignored by readers and
moved to ``orphans/`` by the next writer. A torn last journal line (killed mid-append) is ignored
and truncated. Every write is checked: a short write or a full disk rolls the batch back and
raises ``StoreError``, so nothing is reported stored that is not. A corrupt journal line (bad
checksum) is reported by ``fsck``/``stats`` and stops writers until ``fsck(repair=True)``
re-adopts the shards it committed; nothing is deleted on the way.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..outputs import file_sha256
from ._journal import JournalState, encode_entry
from ._schema import SCHEMA_VERSION, Trace
from ._table import ARROW_SCHEMA, row_to_trace, traces_to_table

STORE_FORMAT = "thinkscope-trace-store"


class StoreError(RuntimeError):
    """The store cannot do what was asked (not a store, newer version, read-only, disk full,
    corrupt); the message is one line naming the file."""


@dataclass
class AppendResult:
    """What one ``append`` call did. ``conflicts`` are traces refused because their trace id is
    already stored under a different key (two different records are never merged)."""

    written: int = 0
    duplicates: int = 0
    shards: int = 0
    conflicts: list[Trace] = field(default_factory=list)

    def __iadd__(self, other: AppendResult) -> AppendResult:
        self.written += other.written
        self.duplicates += other.duplicates
        self.shards += other.shards
        self.conflicts += other.conflicts
        return self


@dataclass
class FsckReport:
    """What ``TraceStore.fsck`` found (and, with ``repair``, did)."""

    traces: int = 0
    corrupt_lines: list[tuple[int, str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    recovered: int = 0
    repaired: bool = False

    @property
    def ok(self) -> bool:
        return not (self.corrupt_lines or self.missing or self.unreadable)

    def lines(self, journal: Path) -> list[str]:
        """One line per problem, for the CLI."""
        out = [f"{journal}:{n}: corrupt journal line ({why})" for n, why in self.corrupt_lines]
        out += [f"{name}: committed shard is missing" for name in self.missing]
        out += [f"{name}: shard cannot be read" for name in self.unreadable]
        out += [f"{name}: orphan shard (no journal line commits it)" for name in self.orphans]
        return out


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until done; a write that makes no progress is a full disk."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, "no space left on device (short write)")
        view = view[n:]


def _os_error(root: Path, exc: OSError, what: str) -> StoreError:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"{root}: store is read-only ({exc.strerror}); {what}")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(f"{root}: disk full; {what}")
    return StoreError(f"{root}: {exc.strerror or exc}; {what}")


def _read_checked(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A shard read with its page checksums verified (shards are written with them) and its
    arrays fully validated: a damaged page must fail here, naming the shard, not surface later
    as a decoding error far from it."""
    table = pq.read_table(path, columns=columns, page_checksum_verification=True)
    table.validate(full=True)
    return table


class TraceStore:
    """A versioned, crash-safe, resumable store of traces.

    Args:
        root: the store directory.
        create: create the directory when missing (otherwise a missing store is an error).
    """

    def __init__(self, root: str | os.PathLike[str], create: bool = True) -> None:
        self.root = Path(root)
        self.shard_dir = self.root / "shards"
        self.orphan_dir = self.root / "orphans"
        self.quarantine_dir = self.root / "quarantine"
        self.journal_path = self.root / "journal.jsonl"
        self.meta_path = self.root / "store.json"
        try:
            if not self.meta_path.exists():
                if not create:
                    raise StoreError(f"{self.root}: not a thinkscope trace store (no store.json)")
                self.shard_dir.mkdir(parents=True, exist_ok=True)
                self._write_meta(SCHEMA_VERSION)
            self.schema_version = self._read_meta()
            if not self.shard_dir.is_dir():
                self.shard_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(self.root, exc, "cannot open the store") from None
        self._jcache: tuple[int, int, JournalState] = (-1, 0, JournalState())
        self._shard_ids: dict[str, list[str]] = {}
        self._verified: set[tuple[str, int, int]] = set()

    def _write_meta(self, version: int) -> None:
        tmp = self.meta_path.with_suffix(".json.tmp")
        with open(tmp, "w") as fh:
            fh.write(json.dumps({"format": STORE_FORMAT, "schema_version": version}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.meta_path)

    def _read_meta(self) -> int:
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"{self.meta_path}: corrupt store metadata ({exc})") from None
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{self.meta_path}: unknown store format {meta.get('format')!r}")
        try:
            version = int(meta.get("schema_version", 0))
        except (TypeError, ValueError):
            raise StoreError(f"{self.meta_path}: bad schema_version "
                             f"{meta.get('schema_version')!r}") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.meta_path}: store schema_version {version} is newer than this "
                f"thinkscope understands ({SCHEMA_VERSION}); upgrade thinkscope"
            )
        return version

    # ------------------------------------------------------------------ journal
    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            fh = open(self.root / ".lock", "a")
        except OSError as exc:
            raise _os_error(self.root, exc, "nothing was written") from None
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _journal(self) -> JournalState:
        """The journal replayed, reading only the bytes appended since the last call.

        The journal is append-only; a compaction or repair replaces the file, which a new inode
        reveals. The part after the final newline is a torn write that never committed
        anything, so it is not consumed.
        """
        try:
            st = os.stat(self.journal_path)
        except FileNotFoundError:
            self._jcache = (-1, 0, JournalState())
            return JournalState()
        inode, offset, state = self._jcache
        if st.st_ino != inode or st.st_size < offset:
            inode, offset, state = st.st_ino, 0, JournalState()
        if st.st_size > offset:
            with open(self.journal_path, "rb") as fh:
                fh.seek(offset)
                data = fh.read(st.st_size - offset)
            end = data.rfind(b"\n") + 1
            for raw in data[:end].split(b"\n")[:-1]:
                state.apply(raw)
            offset += end
        self._jcache = (inode, offset, state)
        return state.copy()

    def _live_shards(self) -> dict[str, list[str]]:
        """Committed shard name -> keys."""
        return self._journal().shards

    def corrupt_lines(self) -> list[tuple[int, str]]:
        """``(line number, what is wrong)`` for each corrupt journal line."""
        return self._journal().corrupt

    def _move_aside(self, path: Path) -> None:
        self.orphan_dir.mkdir(exist_ok=True)
        dest = self.orphan_dir / path.name
        if dest.exists():
            dest = self.orphan_dir / f"{path.stem}-{uuid.uuid4().hex[:6]}{path.suffix}"
        os.replace(path, dest)

    def _repair(self) -> JournalState:
        """Under the lock: drop a torn journal tail, move orphan shards aside, delete temp files
        (partial by construction). Refuses to go on over a corrupt journal."""
        if self.journal_path.exists():
            data = self.journal_path.read_bytes()
            if data and not data.endswith(b"\n"):
                cut = data.rfind(b"\n") + 1
                with open(self.journal_path, "r+b") as fh:
                    fh.truncate(cut)
                    fh.flush()
                    os.fsync(fh.fileno())
        state = self._journal()
        if state.corrupt:
            n, why = state.corrupt[0]
            raise StoreError(
                f"{self.journal_path}:{n}: corrupt journal line ({why}); nothing was written. "
                f"Run `thinkscope fsck --store {self.root} --repair` to recover its traces")
        for path in self.shard_dir.iterdir():
            if path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
            elif path.name not in state.shards:
                self._move_aside(path)
        if self.schema_version < SCHEMA_VERSION:
            self._migrate(state)
            state = self._journal()
        return state

    def _append_journal(self, entry: dict[str, Any]) -> None:
        line = encode_entry(entry)
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            try:
                _write_all(fd, line)
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)  # no torn line left behind
                raise
        finally:
            os.close(fd)

    def _write_shard(self, table: pa.Table) -> str:
        name = f"part-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = self.shard_dir / f".tmp-{name}"
        try:
            pq.write_table(table, tmp, compression="zstd", write_page_checksum=True)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.shard_dir / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.shard_dir)
        return name

    def _new_shard(self, table: pa.Table) -> dict[str, Any]:
        """Write ``table`` as a shard; its journal entry (keys, trace ids and the file's
        SHA-256, which every later read checks)."""
        name = self._write_shard(table)
        keys = table.column("key").to_pylist()
        return {"op": "add", "shard": name, "n": len(keys), "keys": keys,
                "ids": table.column("trace_id").to_pylist(),
                "sha256": file_sha256(self.shard_dir / name)}

    def _ids_of(self, state: JournalState) -> dict[str, str]:
        """Trace id -> key of every committed trace (ids read from a shard when its journal
        line predates recorded ids)."""
        out: dict[str, str] = {}
        for shard, keys in state.shards.items():
            out.update(zip(self._trace_ids(state, shard), keys))
        return out

    def _trace_ids(self, state: JournalState, shard: str) -> list[str]:
        """A committed shard's trace ids: from its journal line, or read once from the shard
        when the line predates recorded ids."""
        ids = state.ids.get(shard)
        if ids is not None:
            return ids
        if shard not in self._shard_ids:
            self._shard_ids[shard] = pq.read_table(
                self.shard_dir / shard, columns=["trace_id"]).column("trace_id").to_pylist()
        return self._shard_ids[shard]

    def _migrate(self, state: JournalState) -> None:
        """Rewrite a schema-1 store as schema 2: imported traces get content keys (their trace
        ids are kept, so analysis outputs still refer to them). Under the lock."""
        table = self._read_table(list(state.shards))
        traces = [row_to_trace(row) for row in table.to_pylist()]
        names = list(state.shards)
        entries = []
        if traces:
            entries.append(self._new_shard(traces_to_table(traces)))
        self._replace_journal(entries)
        for old in names:
            (self.shard_dir / old).unlink(missing_ok=True)  # superseded by the migrated shard
        self._write_meta(SCHEMA_VERSION)
        self.schema_version = SCHEMA_VERSION

    def _replace_journal(self, entries: list[dict[str, Any]]) -> None:
        tmp = self.journal_path.with_suffix(".jsonl.tmp")
        with open(tmp, "wb") as fh:
            for entry in entries:
                fh.write(encode_entry(entry))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.journal_path)
        _fsync_dir(self.root)

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
        """Commit one batch atomically (one shard + one journal line), or raise ``StoreError``
        having committed nothing."""
        with self._locked():
            try:
                return self._write_batch(traces)
            except OSError as exc:
                raise _os_error(self.root, exc, f"the batch of {len(traces)} trace(s) was not "
                                                "stored") from None

    def _write_batch(self, traces: Sequence[Trace]) -> AppendResult:
        state = self._repair()
        known = {k for keys in state.shards.values() for k in keys}
        ids = self._ids_of(state)
        fresh: list[Trace] = []
        conflicts: list[Trace] = []
        dup = 0
        for trace in traces:
            if trace.key in known:
                dup += 1
                continue
            if ids.get(trace.trace_id, trace.key) != trace.key:
                conflicts.append(trace)
                continue
            known.add(trace.key)
            ids[trace.trace_id] = trace.key
            fresh.append(trace)
        if not fresh:
            return AppendResult(written=0, duplicates=dup, shards=0, conflicts=conflicts)
        entry = self._new_shard(traces_to_table(fresh))
        try:
            self._append_journal(entry)
        except BaseException:
            (self.shard_dir / entry["shard"]).unlink(missing_ok=True)  # ours, never committed
            raise
        return AppendResult(written=len(fresh), duplicates=dup, shards=1, conflicts=conflicts)

    def compact(self) -> int:
        """Rewrite all committed shards as one; returns the number of traces kept."""
        with self._locked():
            state = self._repair()
            live = state.shards
            if len(live) <= 1:
                return sum(len(k) for k in live.values())
            entry = self._new_shard(self._read_table(list(live)))
            self._replace_journal([entry])
            for old in live:
                (self.shard_dir / old).unlink(missing_ok=True)  # superseded, not orphaned
            return int(entry["n"])

    def fsck(self, repair: bool = False) -> FsckReport:
        """Check the journal and every shard; with ``repair``, re-adopt the traces of orphan
        shards (those not already stored) and drop corrupt journal lines, keeping a backup of
        the old journal. Unreadable shards are moved aside, never deleted."""
        report = FsckReport()
        state = self._journal()
        report.corrupt_lines = list(state.corrupt)
        for name in sorted(state.shards):
            path = self.shard_dir / name
            if not path.exists():
                report.missing.append(name)
                continue
            try:
                self._read_shard(name, None)
            except StoreError:
                report.unreadable.append(name)
        candidates = sorted(p for p in self.shard_dir.iterdir()
                            if not p.name.startswith(".tmp-") and p.name not in state.shards)
        if self.orphan_dir.exists():
            candidates += sorted(self.orphan_dir.glob("*.parquet"))
        report.orphans = [str(p.relative_to(self.root)) for p in candidates]
        report.traces = sum(len(k) for n, k in state.shards.items()
                            if n not in report.missing and n not in report.unreadable)
        if not repair:
            return report
        with self._locked():
            report.recovered = self._recover(state, candidates, report)
            report.repaired = True
        return report

    def _recover(self, state: JournalState, candidates: list[Path], report: FsckReport) -> int:
        entries: list[dict[str, Any]] = [{"op": "add", "shard": n, "n": len(k), "keys": k,
                    "ids": self._trace_ids(state, n), "sha256": state.sha.get(n)}
                   for n, k in state.shards.items()
                   if n not in report.missing and n not in report.unreadable]
        known = {k for e in entries for k in e["keys"]}
        recovered = 0
        for path in candidates:
            try:
                table = _read_checked(path)
            except (OSError, ValueError, pa.ArrowException):
                continue
            if "key" not in table.column_names:
                continue
            keep = [k not in known for k in table.column("key").to_pylist()]
            table = table.filter(pa.array(keep))
            if table.num_rows:
                entry = self._new_shard(table)
                known.update(entry["keys"])
                entries.append(entry)
                recovered += int(entry["n"])
        for name in report.unreadable:
            self._move_aside(self.shard_dir / name)
        if self.journal_path.exists():
            stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
            shutil.copy2(self.journal_path, self.root / f"journal.jsonl.bak-{stamp}")
        self._replace_journal(entries)
        for path in candidates:  # their traces now live in the shards just written
            if path.parent == self.shard_dir and path.exists():
                self._move_aside(path)
        report.traces = len(known)
        return recovered

    # ------------------------------------------------------------------ reading
    def _check_sha(self, name: str) -> None:
        """The shard's bytes against the SHA-256 its journal line recorded (once per file
        version): damage anywhere in it, footer included, is found, never read as data."""
        path = self.shard_dir / name
        want = self._journal().sha.get(name)
        st = path.stat()
        stamp = (name, st.st_mtime_ns, st.st_size)
        if want is None or stamp in self._verified:
            return
        if file_sha256(path) != want:
            raise StoreError(f"{path}: shard cannot be read (changed since it was committed: "
                             f"checksum mismatch); run `thinkscope fsck --store {self.root}`")
        self._verified.add(stamp)

    def _read_shard(self, name: str, columns: list[str] | None) -> pa.Table:
        path = self.shard_dir / name
        try:
            self._check_sha(name)
            present = set(pq.read_schema(path).names)
            table = _read_checked(path, None if columns is None else
                                  [c for c in columns if c in present])
        except FileNotFoundError:
            raise StoreError(f"{path}: committed shard is missing; run `thinkscope fsck "
                             f"--store {self.root}`") from None
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise StoreError(f"{path}: shard cannot be read ({' '.join(str(exc).split())[:120]})"
                             f"; run `thinkscope fsck --store {self.root}`") from None
        # Shards of older schemas lack newer columns: add them empty, in schema order.
        want = columns if columns is not None else ARROW_SCHEMA.names
        for col in want:
            if col not in table.column_names:
                table = table.append_column(
                    ARROW_SCHEMA.field(col), pa.nulls(table.num_rows, ARROW_SCHEMA.field(col).type))
        return table.select(list(want))

    def _read_table(self, shard_names: list[str], columns: list[str] | None = None) -> pa.Table:
        if not shard_names:
            return ARROW_SCHEMA.empty_table() if columns is None else pa.table(
                {c: pa.array([], type=ARROW_SCHEMA.field(c).type) for c in columns}
            )
        cols = None if columns is None else list(dict.fromkeys(["key", *columns]))
        tables = [self._read_shard(n, cols) for n in sorted(shard_names)]
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

    def state_id(self) -> str:
        """Which traces the store holds, as ``<n>:<hash of the committed shards>``: recorded in
        analysis manifests so outputs can be matched to the store state they came from."""
        import hashlib

        shards = self._live_shards()
        digest = hashlib.sha256("\n".join(sorted(shards)).encode()).hexdigest()[:12]
        return f"{sum(len(k) for k in shards.values())}:{digest}"

    def __len__(self) -> int:
        return sum(len(k) for k in self._live_shards().values())

    # ------------------------------------------------------------------ quarantine
    def quarantine(self, records: Iterable[dict[str, Any]], run: str | None = None) -> Path | None:
        """Keep bad input records (with their reason) under ``quarantine/``; returns the file."""
        records = list(records)
        if not records:
            return None
        run = run or f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        path = self.quarantine_dir / f"{run}.jsonl"
        data = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
        try:
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _write_all(fd, data.encode("utf-8", errors="backslashreplace"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _os_error(self.root, exc, f"{len(records)} bad record(s) could not be "
                                            "quarantined") from None
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
            "corrupt_journal_lines": len(self.corrupt_lines()),
            "by_model": {str(k): int(v) for k, v in df["model_id"].value_counts().items()},
            "by_corpus": {str(k): int(v) for k, v in df["corpus"].value_counts().items()},
            "by_kind": {str(k): int(v) for k, v in df["model_kind"].value_counts().items()},
            "quarantined": self.quarantined_count(),
        }
