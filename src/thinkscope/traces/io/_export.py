"""Exporters: a store (or a filtered part of it) to JSONL (one Trace per line) or parquet."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from .._store import TraceStore
from .._table import ARROW_SCHEMA, row_to_trace

ExportFormat = Literal["jsonl", "parquet"]


def export_store(
    store: TraceStore, out: str | os.PathLike[str], fmt: ExportFormat = "jsonl",
    **filters: Any,
) -> int:
    """Write the store's traces to ``out``; returns how many were written.

    The file is written to a temporary name and renamed, so a partial export never looks whole.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df = store.to_pandas(**filters)
    tmp = out.with_name(out.name + ".tmp")
    if fmt == "parquet":
        table = pa.Table.from_pandas(df, schema=ARROW_SCHEMA, preserve_index=False)
        pq.write_table(table, tmp, compression="zstd")
    elif fmt == "jsonl":
        with open(tmp, "w", encoding="utf-8") as fh:
            for row in df.to_dict(orient="records"):
                fh.write(row_to_trace(row).model_dump_json() + "\n")
    else:
        raise ValueError(f"unknown export format {fmt!r}; valid formats: jsonl, parquet")
    os.replace(tmp, out)
    return len(df)
