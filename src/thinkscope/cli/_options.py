"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..traces import StoreError, TraceStore

StoreOpt = Annotated[
    Path, typer.Option("--store", "-s", help="Trace store directory.", show_default=False)
]


def open_store(path: Path, create: bool = False) -> TraceStore:
    """Open a store, turning a missing/invalid store into a one-line error and exit code 2."""
    try:
        return TraceStore(path, create=create)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
