"""``thinkscope export``: a store (optionally filtered) to JSONL or parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from ..traces.io import export_store
from ._options import StoreOpt, open_store


def export(
    store: StoreOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonl (one Trace per line) or parquet.")
    ] = "jsonl",
    model: Annotated[list[str] | None, typer.Option(help="Only these model ids.")] = None,
    corpus: Annotated[list[str] | None, typer.Option(help="Only these corpora.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only these model kinds.")] = None,
) -> None:
    """Export traces; the JSONL form re-imports with ``--format thinkscope``."""
    if fmt not in ("jsonl", "parquet"):
        typer.echo(f"error: unknown export format {fmt!r}; valid formats: jsonl, parquet",
                   err=True)
        raise typer.Exit(2)
    fmt_l: Literal["jsonl", "parquet"] = "jsonl" if fmt == "jsonl" else "parquet"
    n = export_store(open_store(store), out, fmt_l, model=model or None,
                     corpus=corpus or None, kind=kind or None)
    typer.echo(f"wrote {n} traces to {out}")
