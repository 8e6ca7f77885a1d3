"""``thinkscope stats``: counts of a store by model, corpus and kind."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ._options import StoreOpt, open_store


def stats(
    store: StoreOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Count traces by model, corpus and model kind, and the quarantined records."""
    st = open_store(store)
    data = st.stats()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for n, why in st.corrupt_lines():
        typer.echo(f"warning: {st.journal_path}:{n}: corrupt journal line ({why}); its traces "
                   f"are not counted. Run `thinkscope fsck --store {store} --repair`", err=True)
    typer.echo(f"traces: {data['traces']}   quarantined records: {data['quarantined']}")
    for title, key in (("model", "by_model"), ("corpus", "by_corpus"), ("kind", "by_kind")):
        typer.echo(f"by {title}:")
        for name, n in data[key].items():
            typer.echo(f"  {n:>7}  {name}")


def fsck(
    store: StoreOpt,
    repair: Annotated[bool, typer.Option(
        "--repair", help="Re-adopt the traces of orphan shards and drop corrupt journal lines "
        "(the old journal is kept as a backup; nothing is deleted).")] = False,
) -> None:
    """Check a store: journal checksums, committed shards present and readable, orphans.

    Exits 1 when a problem remains (after --repair: one it could not fix)."""
    st = open_store(store)
    report = st.fsck(repair=repair)
    for line in report.lines(st.journal_path):
        typer.echo(line)
    if report.repaired:
        typer.echo(f"repaired: {report.recovered} trace(s) re-adopted from orphan shards; "
                   f"{report.traces} trace(s) in the store")
        after = st.fsck()
        if after.ok:
            return
        raise typer.Exit(1)
    typer.echo(f"{report.traces} trace(s); " + ("ok" if report.ok else
               f"problems found: run `thinkscope fsck --store {store} --repair`"))
    if not report.ok:
        raise typer.Exit(1)
