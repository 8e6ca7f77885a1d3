"""``thinkscope run`` (the main job) and ``thinkscope report DIR``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory (resumes when it "
                                                          "exists).")] = Path("thinkscope-run"),
    model: Annotated[str | None, typer.Option(help="A real model (hub id, folder, .gguf file or "
                                                   "pkg:NAME) instead of the shipped organisms."
                                              )] = None,
    corpus: Annotated[str, typer.Option(help="Corpus for --model (name or .jsonl path).")] =
    "gsm8k",
    limit: Annotated[int, typer.Option(help="Problems for --model.")] = 50,
    max_tokens: Annotated[int | None, typer.Option(help="Completion cap for --model (default: "
                                                   "512 for instruct/base models, 4096 for "
                                                   "reasoning models).")] = None,
    scale: Annotated[float, typer.Option(help="Organisms: multiply every trace count.")] = 1.0,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, ...")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="A plan file (YAML or JSON): a preset and overrides, or every field "
        "of the plan; see thinkscope.pipeline.load_plan.")] = None,
    backend: Annotated[str | None, typer.Option(
        help="Generation and faithfulness backend: hf, vllm or openai (default: the plan's, "
        "hf).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Server URL (openai backend).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Run every analysis end to end and write OUT/report.html.

    Generation, behaviours, step errors, faithfulness, importance, the registered analyses
    (hints, paraphrase, plugins) and probes, in that order."""
    import dataclasses

    from ..pipeline import Pipeline, PlanError, check_plan, load_plan, organism_plan, real_plan

    try:
        if config is not None:
            plan = load_plan(config)
        else:
            plan = real_plan(model, corpus, limit, max_tokens=max_tokens) if model \
                else organism_plan(scale)
        if backend is not None:
            plan = dataclasses.replace(plan, backend=backend)
        if base_url is not None:
            plan = dataclasses.replace(plan, base_url=base_url)
        check_plan(plan)
    except PlanError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    result = Pipeline(plan, out, device=device, progress=not quiet).run()
    print_key_numbers(json.loads((out / "summary.json").read_text()))
    typer.echo(f"done in {result['seconds']:.0f} s; report: {result['report']}")


def report(
    out: Annotated[Path, typer.Argument(help="A results directory of thinkscope run.")],
    strict: Annotated[bool, typer.Option(
        "--strict", help="Refuse (exit 1) when outputs are incomplete or mixed from two runs, "
        "instead of flagging them on the page.")] = False,
) -> None:
    """Rebuild OUT/report.html from the saved tables alone (each checked against its
    manifest first)."""
    from ..outputs import verify_outputs
    from ..report import build_report

    if not out.is_dir():
        typer.echo(f"error: {out}: not a directory", err=True)
        raise typer.Exit(2)
    problems = verify_outputs(out)
    for p in problems:
        typer.echo(f"{'error' if strict else 'warning'}: {p}", err=True)
    if strict and problems:
        raise typer.Exit(1)
    typer.echo(f"wrote {build_report(out)}")


def print_key_numbers(summary: dict[str, Any]) -> None:
    """The run's metrics, one line each, with their baselines beside them."""
    typer.echo("")
    typer.echo("key numbers (value [95% CI], n):")
    from ..report import fold_baselines

    rows = fold_baselines(summary["metrics"])
    gw = max([len(r["group"]) for r in rows] + [10])
    for r in rows:
        if r["value"] is None:
            continue
        ci = f"[{r['lo']:.3f}, {r['hi']:.3f}]" if r["lo"] is not None else ""
        v = f"{r['value']:.3f}" if isinstance(r["value"], float) else str(r["value"])
        typer.echo(f"  {r['section']:16s} {r['group']:{gw}s} {r['metric'][:40]:40s} "
                   f"{v} {ci} n={r['n']}")
        bases = [f"{b['name']} {b['value']:.3f}" for b in r["beside"] if b["value"] is not None]
        if bases:
            typer.echo(f"  {'':16s} {'':{gw}s} beside it: {', '.join(bases)}")
