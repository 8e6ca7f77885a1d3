"""``thinkscope organisms list|train|eval|corpus``: the model organisms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Model organisms: tiny reasoning models with known ground truth.",
                  no_args_is_help=True)


def _print_cells(cells: list[dict]) -> None:
    """One line per accuracy cell: k, n, accuracy and its 95% interval."""
    for cell in cells:
        typer.echo(f"  k={cell['k']!s:<4} n={cell['n']:<5} acc={cell['accuracy']:.3f} "
                   f"CI95 [{cell['ci95'][0]:.3f}, {cell['ci95'][1]:.3f}]")


@app.command("list")
def list_organisms() -> None:
    """Name, base, kind, role of the chain of thought, and held-out accuracy (or whether it
    is trained)."""
    from ..organisms import ORGANISMS, organism_metadata, stored_path

    width = max(len(name) for name in ORGANISMS)
    for spec in ORGANISMS.values():
        try:
            stored_path(spec.name)
            meta = organism_metadata(spec.name)
            cells = {c["k"]: c for c in meta.get("heldout_accuracy", [])}
            acc = cells.get("all")
            state = f"acc {acc['accuracy']:.3f} (n={acc['n']})" if acc else "trained"
        except FileNotFoundError:
            state = "not trained"
        typer.echo(f"organism:{spec.name:<{width}} {spec.base:<26} {spec.kind.value:<7} "
                   f"cot={spec.cot:<10} {state:<22} {spec.description}")


@app.command("train")
def train(
    name: Annotated[str, typer.Argument(help="Organism name (see `organisms list`).")],
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Parent directory for the weights "
                                             "(default: the package's shipped weights).")] = None,
    steps: Annotated[int | None, typer.Option(help="Override the number of steps.")] = None,
    no_eval: Annotated[bool, typer.Option("--no-eval", help="Skip the held-out table.")] = False,
) -> None:
    """Train an organism deterministically and save it with its accuracy table."""
    from ..organisms import get_organism, train_organism

    try:
        get_organism(name)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    meta = train_organism(name, out=out, seed=seed, steps=steps, evaluate=not no_eval)
    typer.echo(f"trained organism:{meta['organism']} in {meta['total_seconds']} s")
    _print_cells(meta.get("heldout_accuracy", []))


@app.command("eval")
def evaluate(
    name: Annotated[str, typer.Argument(help="Organism name.")],
    n_per_k: Annotated[int | None, typer.Option(help="Held-out problems per chain length "
                                                "(default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    temperature: Annotated[float, typer.Option(help="0 = greedy; >0 samples with a fixed "
                                               "seed.")] = 0.0,
) -> None:
    """Accuracy by chain length on held-out problems, n and 95% CI per cell."""
    from ..organisms import evaluate_organism, get_organism

    try:
        get_organism(name)
        result = evaluate_organism(name, n_per_k=n_per_k, progress=not as_json,
                                   temperature=temperature)
    except (KeyError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps({"organism": name, "temperature": temperature,
                                "cells": result["cells"]}, indent=2))
        return
    how = "greedy" if temperature <= 0 else f"sampled at T={temperature}"
    typer.echo(f"organism:{name} held-out accuracy ({how})")
    _print_cells(result["cells"])


@app.command("corpus")
def write_corpus_cmd(
    out: Annotated[Path, typer.Option(help="Output JSONL.")],
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
) -> None:
    """Write the organisms' task corpus (both splits) as JSONL."""
    from ..organisms import corpus, write_corpus

    n = write_corpus(corpus(seed), out)
    typer.echo(f"wrote {n} problems to {out}")


@app.command("table")
def table() -> None:
    """Markdown table of every trained organism's held-out accuracy by chain length (n, CI)."""
    from ..organisms import ORGANISMS, organism_metadata, stored_path

    header = ("| organism | base | kind | CoT | " + " | ".join(f"k={k}" for k in range(1, 7))
              + " | k<=4 | all | train time |")
    typer.echo(header)
    typer.echo("|" + "---|" * (header.count("|") - 1))
    for spec in ORGANISMS.values():
        try:
            stored_path(spec.name)
        except FileNotFoundError:
            continue
        meta = organism_metadata(spec.name)
        cells = {str(c["k"]): c for c in meta.get("heldout_accuracy", [])}

        def fmt(key: str, cells: dict = cells) -> str:
            c = cells.get(key)
            return f"{c['accuracy']:.3f} (n={c['n']})" if c else "-"

        row = [f"`{spec.name}`", spec.base, spec.kind.value, spec.cot]
        row += [fmt(str(k)) for k in range(1, 7)] + [fmt("<=4"), fmt("all")]
        row.append(f"{meta.get('total_seconds', 0) / 60:.1f} min")
        typer.echo("| " + " | ".join(row) + " |")


@app.command("card")
def card(
    name: Annotated[str, typer.Argument(help="Organism name.")],
    write: Annotated[bool, typer.Option("--write", help="Also (re)write README.md beside "
                                        "the organism's weights.")] = False,
) -> None:
    """An organism's card (Markdown): what it is, its training recipe and time, and its
    held-out accuracy with n and 95% Wilson intervals, from its stored metadata."""
    from ..organisms import get_organism, organism_card, organism_metadata, stored_path

    try:
        spec = get_organism(name)
        text = organism_card(spec, organism_metadata(spec.name))
    except (KeyError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    if write:
        (stored_path(spec.name) / "README.md").write_text(text)
    typer.echo(text)
