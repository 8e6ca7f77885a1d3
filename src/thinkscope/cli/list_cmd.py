"""``thinkscope list [KIND]``: the registered names of every pluggable kind, with descriptions
(thin over ``thinkscope.registry``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer


def list_cmd(
    kind: Annotated[str | None, typer.Argument(
        help="analyses, importers, backends, corpora, detectors, probes, targets or "
             "knowledge; default: all.", show_default=False)] = None,
) -> None:
    """List what is registered (built in or from plugins) with one line each."""
    regs = all_registries()
    if kind is not None and kind not in regs:
        typer.echo(f"error: unknown kind {kind!r}; valid kinds: {', '.join(regs)}", err=True)
        raise typer.Exit(2)
    for name, reg in regs.items():
        if kind is not None and name != kind:
            continue
        if kind is None:
            typer.echo(f"{name}:")
        width = max((len(n) for n in reg), default=0)
        for entry in reg:
            typer.echo(f"  {entry:<{width}}  {reg.describe(entry)}")


def all_registries() -> dict[str, Any]:
    """Every registry, after importing the packages that fill them (each entry imports its heavy
    modules only when used, so this stays fast)."""
    # their imports fill the registries
    from .. import analyze, generate, interventions, probing  # noqa: F401
    from ..registry import REGISTRIES
    from ..traces import io  # noqa: F401

    return REGISTRIES
