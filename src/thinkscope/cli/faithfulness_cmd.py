"""``thinkscope analyze early-answering|mistakes|filler``: interventions on stored CoTs, run
through a backend of the model that wrote them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._options import StoreOpt, open_store

ModelOpt = Annotated[str, typer.Option(
    help="The model whose stored traces are analysed (organism:NAME, hub id or path); it is "
         "loaded to answer the interventions.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]
LimitOpt = Annotated[int | None, typer.Option(help="First N traces only.")]
BackendOpt = Annotated[str, typer.Option(help="hf or vllm (token-level prompts are needed).")]
DeviceOpt = Annotated[str | None, typer.Option(help="cpu, cuda, ... (hf).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def _setup(model: str, store: Path, backend: str, device: str | None,
           limit: int | None) -> tuple[Any, Any, list[Any]]:
    from ..generate import builder_for, get_backend

    traces = [t for t in open_store(store).iter_traces(model=[model])
              if t.perturbation is None and t.reasoning.strip()]
    if limit is not None:
        traces = traces[:limit]
    if not traces:
        typer.echo(f"error: {store}: no traces with reasoning from model {model!r}", err=True)
        raise typer.Exit(2)
    if backend not in ("hf", "vllm"):
        typer.echo("error: --backend must be hf or vllm: truncation needs the model's tokenizer",
                   err=True)
        raise typer.Exit(2)
    try:
        be = get_backend(backend, model, device=device)
    except (KeyError, ValueError, ImportError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    return be, builder_for(model, be.tokenizer), traces  # type: ignore[attr-defined]


def early_answering(
    model: ModelOpt, store: StoreOpt, out: OutOpt, limit: LimitOpt = None,
    by: Annotated[str, typer.Option(help="Grouping: model, or model,k (chain length).")] =
    "model",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-encode every prefix "
                                           "(the naive baseline).")] = False,
    max_answer_tokens: Annotated[int, typer.Option(help="Tokens read after the cue.")] = 8,
    backend: BackendOpt = "hf", device: DeviceOpt = None, quiet: QuietOpt = False,
) -> None:
    """Truncate each CoT at sentence ends, force an answer, report % same and AOC."""
    from ..analyze.faithfulness import early_answering as run
    from ..analyze.faithfulness import write_early

    be, builder, traces = _setup(model, store, backend, device, limit)
    df = run(traces, be, builder, max_answer_tokens=max_answer_tokens, cached=not no_cache,
             progress=not quiet)
    summary = write_early(df, out, by=tuple(by.split(",")),
                          meta={"analysis": "early-answering", "model": model})
    for name, g in summary["groups"].items():
        a = g["aoc"]
        typer.echo(f"{name}: AOC {a['mean']} {a['ci95']} (n={g['n_traces']} traces)")
    typer.echo(f"wrote {out}/")


def mistakes(
    model: ModelOpt, store: StoreOpt, out: OutOpt, limit: LimitOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the corrupted values.")] = 0,
    backend: BackendOpt = "hf", device: DeviceOpt = None, quiet: QuietOpt = False,
) -> None:
    """Corrupt each arithmetic step's result; force the answer / let the model continue."""
    from ..analyze.faithfulness import mistakes as run
    from ..analyze.faithfulness import write_mistakes

    be, builder, traces = _setup(model, store, backend, device, limit)
    df = run(traces, be, builder, seed=seed, progress=not quiet)
    summary = write_mistakes(df, out, meta={"analysis": "mistakes", "model": model})
    for name, g in summary["groups"].items():
        for mode, m in g.items():
            c, f = m["changed"], m["follows_corruption"]
            typer.echo(f"{name} ({mode}): answer changed {c['value']} {c['ci95']} (n={c['n']}); "
                       f"equals the corrupted chain's answer {f['value']} {f['ci95']}")
    typer.echo(f"wrote {out}/")


def filler(
    model: ModelOpt, store: StoreOpt, out: OutOpt, limit: LimitOpt = None,
    token: Annotated[str, typer.Option(help="The filler token's text.")] = ".",
    backend: BackendOpt = "hf", device: DeviceOpt = None, quiet: QuietOpt = False,
) -> None:
    """Replace each CoT by as many filler tokens; compare accuracy with the original CoT."""
    from ..analyze.faithfulness import filler_control, write_filler

    be, builder, traces = _setup(model, store, backend, device, limit)
    try:
        df = filler_control(traces, be, builder, filler=token, progress=not quiet)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    summary = write_filler(df, out, meta={"analysis": "filler", "model": model})
    for name, g in summary["groups"].items():
        typer.echo(name + ": " + ", ".join(f"{c} accuracy {p['value']} {p['ci95']} (n={p['n']})"
                                            for c, p in g.items()))
    typer.echo(f"wrote {out}/")


def importance(
    model: ModelOpt, store: StoreOpt, out: OutOpt, limit: LimitOpt = 10,
    samples: Annotated[int, typer.Option(help="Resamples per prefix.")] = 8,
    temperature: Annotated[float, typer.Option(help="Resampling temperature.")] = 1.0,
    max_tokens: Annotated[int, typer.Option(help="Tokens per resample.")] = 256,
    seed: Annotated[int, typer.Option(help="Base seed of the resamples.")] = 0,
    backend: BackendOpt = "hf", device: DeviceOpt = None, quiet: QuietOpt = False,
) -> None:
    """Resampling and counterfactual importance of every CoT sentence (Thought Anchors)."""
    from ..analyze.faithfulness import sentence_importance, write_importance

    be, builder, traces = _setup(model, store, backend, device, limit)
    res, imp = sentence_importance(traces, be, builder, samples=samples,
                                   temperature=temperature, max_tokens=max_tokens, seed=seed,
                                   progress=not quiet)
    summary = write_importance(res, imp, out, meta={"analysis": "importance", "model": model,
                                                    "samples": samples})
    for name, g in summary["groups"].items():
        top = max(g["by_sentence"], key=lambda c: c["resampling_importance_kl"]["mean"] or 0)
        typer.echo(f"{name}: n={g['n_traces']} traces; most important sentence index "
                   f"{top['sentence_index']} (mean KL {top['resampling_importance_kl']['mean']} "
                   f"{top['resampling_importance_kl']['ci95']}); similarity: "
                   f"{summary['similarity']}")
    typer.echo(f"wrote {out}/")
