"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..traces import StoreError, TraceStore

StoreOpt = Annotated[
    Path, typer.Option("--store", "-s", help="Trace store directory.", show_default=False)
]

ExecutorOpt = Annotated[str, typer.Option(
    help="local: forked processes on this machine; ray: actors of a Ray cluster (ray.init() "
    "connects to a running one, else starts one here).")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Processes (local) or Ray actors (ray); default: every CPU.")]


def check_executor(executor: str) -> None:
    from .._parallel import EXECUTORS

    if executor not in EXECUTORS:
        typer.echo(f"error: --executor must be one of {', '.join(EXECUTORS)}, not {executor!r}",
                   err=True)
        raise typer.Exit(2)


def open_store(path: Path, create: bool = False) -> TraceStore:
    """Open a store, turning a missing/invalid store into a one-line error and exit code 2."""
    try:
        return TraceStore(path, create=create)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
