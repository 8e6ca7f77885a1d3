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
    data = open_store(store).stats()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"traces: {data['traces']}   quarantined records: {data['quarantined']}")
    for title, key in (("model", "by_model"), ("corpus", "by_corpus"), ("kind", "by_kind")):
        typer.echo(f"by {title}:")
        for name, n in data[key].items():
            typer.echo(f"  {n:>7}  {name}")
