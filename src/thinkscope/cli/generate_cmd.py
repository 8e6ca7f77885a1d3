"""``thinkscope generate``: sample traces from a model on a corpus into a store (resumable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._options import StoreOpt, open_store


def generate(
    model: Annotated[str, typer.Option(help="organism:NAME, a hub id or a local path.")],
    corpus: Annotated[str, typer.Option(help="modarith, gsm8k, math500, aime2024 or a .jsonl.")],
    store: StoreOpt,
    samples: Annotated[int, typer.Option(help="Samples per problem.")] = 1,
    backend: Annotated[str, typer.Option(help="hf, vllm or openai.")] = "hf",
    limit: Annotated[int | None, typer.Option(help="First N problems only.")] = None,
    split: Annotated[str, typer.Option(help="modarith split: heldout, train or all.")] = "heldout",
    seed: Annotated[int, typer.Option(help="Base seed (per problem x sample seeds derive from it)."
                                      )] = 0,
    temperature: Annotated[float, typer.Option(help="0 = greedy.")] = 0.0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling mass.")] = 1.0,
    max_tokens: Annotated[int | None, typer.Option(help="Completion token cap (default: 128 "
                                                   "for organisms, 512 for instruct and base "
                                                   "models, 4096 for reasoning models).")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows decoded together (hf).")] = 32,
    chunk_size: Annotated[int, typer.Option(help="Traces committed together (a kill loses at "
                                            "most one chunk).")] = 64,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, ... (hf).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Server URL (openai backend).")] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight (openai).")] = 8,
    workers: Annotated[int, typer.Option(help="Ray Data workers (>1 scales out with Ray).")] = 1,
    trust_remote_code: Annotated[bool, typer.Option(help="Run checkpoint code.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Generate traces; rerunning the same command resumes and skips finished items."""
    from ..generate import (
        CorpusUnavailable,
        Sampling,
        builder_for,
        corpus_label,
        default_max_tokens,
        get_backend,
        load_corpus,
        run_generation,
    )
    from ..organisms import get_organism
    from ..traces.io import guess_model_kind

    try:
        items = load_corpus(corpus, split=split, limit=limit)
    except CorpusUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    is_organism = model.startswith("organism:")
    try:
        kind = get_organism(model).kind if is_organism else guess_model_kind(model)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    st = open_store(store, create=True)
    label = corpus_label(corpus)
    if workers > 1:
        from transformers import AutoTokenizer

        from ..generate.ray_data import run_ray_generation
        from ..models import resolve_model

        tok = AutoTokenizer.from_pretrained(resolve_model(model))  # the style decides the cap
        sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens
                            or default_max_tokens(model, builder_for(model, tok)))
        res = run_ray_generation(model, items, st.root, label, samples=samples,
                                 sampling=sampling, seed=seed, num_workers=workers,
                                 batch_size=batch_size, model_kind=kind, device=device)
        typer.echo(json.dumps(res))
        return
    try:
        be = get_backend(backend, model, batch_size=batch_size, device=device,
                         base_url=base_url, concurrency=concurrency if backend == "openai"
                         else None, trust_remote_code=trust_remote_code or None)
    except (KeyError, ValueError, ImportError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    builder = builder_for(model, getattr(be, "tokenizer", None))
    sampling = Sampling(temperature=temperature, top_p=top_p,
                        max_tokens=max_tokens or default_max_tokens(model, builder))
    summary = run_generation(be, builder, items, st, label, samples=samples, sampling=sampling,
                             seed=seed, chunk_size=chunk_size, model_kind=kind,
                             progress=not quiet)
    data = summary.to_json()
    typer.echo(json.dumps(data, indent=2))
    if summary.failed:
        typer.echo(f"{summary.failed} request(s) failed (see {Path(st.root) / 'failures'}); "
                   "rerun the same command to retry them", err=True)
