"""``thinkscope import``: other tools' trace files into a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..traces import ModelKind
from ..traces.io import IMPORTERS, BadRecord, ImportOptions, get_importer, import_paths
from ._options import StoreOpt, open_store


def _formats_help() -> str:
    lines = [f"{name}: {spec.description}" for name, spec in sorted(IMPORTERS.items())]
    return "Input format, or 'auto' to detect per file. " + "; ".join(lines)


def import_traces(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (walked).")],
    store: StoreOpt,
    fmt: Annotated[str, typer.Option("--format", "-f", help=_formats_help())] = "auto",
    model: Annotated[
        str | None, typer.Option(help="Model id for files that do not name it.")
    ] = None,
    model_kind: Annotated[
        ModelKind | None, typer.Option(help="How the model was trained (else guessed from name).")
    ] = None,
    corpus: Annotated[str | None, typer.Option(help="Corpus name (else from the file).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import trace files; bad records are reported, counted and quarantined in the store.

    Exits non-zero when nothing could be imported or the store refused a write.
    """
    if fmt != "auto":
        try:
            get_importer(fmt)
        except KeyError as exc:
            typer.echo(f"error: {exc.args[0]}", err=True)
            raise typer.Exit(2) from None
    st = open_store(store, create=True)

    def report(rec: BadRecord) -> None:
        typer.echo(f"error: {rec.message()}", err=True)

    summary = import_paths(
        paths, st, fmt=fmt,
        options=ImportOptions(model=model, model_kind=model_kind, corpus=corpus),
        progress=not quiet, on_error=report,
    )
    for f in summary.files:
        typer.echo(
            f"{f.path} [{f.format}]: {f.imported} imported, {f.duplicates} already stored, "
            f"{f.bad} bad"
        )
    if summary.skipped:
        typer.echo(f"skipped {len(summary.skipped)} non-trace file(s): "
                   + ", ".join(Path(p).name for p in summary.skipped[:5])
                   + (" ..." if len(summary.skipped) > 5 else ""))
    typer.echo(
        f"total: {summary.imported} imported, {summary.duplicates} already stored, "
        f"{summary.bad} bad record(s)"
        + (f" quarantined in {', '.join(summary.quarantine)}" if summary.quarantine else "")
    )
    if summary.error is not None:
        typer.echo(f"error: {summary.error}; the import stopped there (the counts above are "
                   "what is stored; rerun to resume)", err=True)
        raise typer.Exit(1)
    if summary.imported + summary.duplicates == 0:
        raise typer.Exit(1)
