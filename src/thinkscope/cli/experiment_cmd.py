"""``thinkscope experiment transmission``: end-to-end experiments that train models."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Experiments that change a model's training data and measure the effect.",
                  no_args_is_help=True)


@app.command("transmission")
def transmission(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (resumes there).")],
    knowledge: Annotated[list[str] | None, typer.Option(
        "--knowledge", "-k", help="Knowledge to give the teacher (repeatable; "
                                  "`thinkscope list knowledge`).")] = None,
    size: Annotated[str, typer.Option(help="default or small (plumbing check).")] = "default",
    base: Annotated[str | None, typer.Option(help="Teacher and student base.")] = None,
    cross_base: Annotated[str | None, typer.Option(
        help="Another base for the cross-initialisation control, e.g. pkg:gemma3-270m.")] = None,
    cross_knowledge: Annotated[list[str] | None, typer.Option(
        "--cross-knowledge", help="Only this knowledge gets cross-base students "
                                  "(repeatable; default: all).")] = None,
    prompts: Annotated[int | None, typer.Option(help="Number prompts per teacher.")] = None,
    samples: Annotated[int | None, typer.Option(help="Samples per question.")] = None,
    students_per_arm: Annotated[int | None, typer.Option(
        help="Students per treated/control arm (training seeds seed, seed+1, ...); 2 or more "
             "also compares the arms over students.")] = None,
    cross_students_per_arm: Annotated[int | None, typer.Option(
        help="Students per cross-base arm (default: --students-per-arm).")] = None,
    backend: Annotated[str, typer.Option(help="Generation backend: hf or vllm.")] = "hf",
    seed: Annotated[int, typer.Option(help="Seed of prompts, sampling and training.")] = 0,
) -> None:
    """Does fine-tuning on a teacher's filtered number sequences transmit knowledge that was
    only in the teacher's system prompt? Teachers, filter, students, questions, probe, report."""
    from ..interventions import KNOWLEDGE, SIZES, TransmissionConfig
    from ..pipeline import run_transmission

    names = tuple(knowledge or ["animal"])
    errors = [f"--size: unknown size {size!r}; valid sizes: {', '.join(SIZES)}"] \
        if size not in SIZES else []
    errors += [f"--knowledge: {KNOWLEDGE.unknown(n)}" for n in names if n not in KNOWLEDGE]
    for flag, value in (("--students-per-arm", students_per_arm),
                        ("--cross-students-per-arm", cross_students_per_arm)):
        if value is not None and value < 1:
            errors.append(f"{flag}: must be 1 or more, got {value}")
    if errors:
        typer.echo(f"error: {errors[0]}", err=True)
        raise typer.Exit(2)
    cfg = replace(TransmissionConfig(), **SIZES[size], knowledge=names, backend=backend,
                  seed=seed, cross_base=cross_base,
                  cross_knowledge=tuple(cross_knowledge) if cross_knowledge else None)
    if base:
        cfg = replace(cfg, base=base)
    if prompts:
        cfg = replace(cfg, prompts=prompts)
    if samples:
        cfg = replace(cfg, samples=samples)
    if students_per_arm:
        cfg = replace(cfg, students_per_arm=students_per_arm)
    if cross_students_per_arm:
        cfg = replace(cfg, cross_students_per_arm=cross_students_per_arm)
    summary = run_transmission(cfg, out)
    for c in summary.get("comparisons", []):
        lo, hi = c["ci95"]
        typer.echo(f"{c['knowledge']:<8} {c['comparison']:<22} {c['a']} {c['rate_a']:.3f} "
                   f"(n={c['n_a']}) vs {c['b']} {c['rate_b']:.3f} (n={c['n_b']}): "
                   f"{c['difference']:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                   f"{'  detected' if c['detected'] else ''}")
    for name, lk in (summary.get("likelihood") or {}).items():
        for c in lk["comparisons"]:
            d, m = c["log10_ratio"], c.get("margin_shift") or {}
            typer.echo(f"{name:<8} P(target) {c['comparison']:<22} {c['a']} / {c['b']}: log10 "
                       f"{_cell(d)}; vs decoys {_cell(m)}")
    typer.echo(f"report: {out / 'report.html'}")
    typer.echo(json.dumps({"run_seconds": summary.get("run_seconds")}))


def _cell(c: dict) -> str:
    if c.get("mean") is None:
        return "-"
    lo, hi = c["ci95"]
    return f"{c['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}]" if lo is not None else f"{c['mean']:+.3f}"
