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
    rewriter: Annotated[str | None, typer.Option(
        help="Model that corrupts free-text steps (traces with no arithmetic step).")] = None,
    rewriter_backend: Annotated[str, typer.Option(help="hf, vllm or openai.")] = "openai",
    base_url: Annotated[str | None, typer.Option(help="Rewriter server URL (openai).")] = None,
    backend: BackendOpt = "hf", device: DeviceOpt = None, quiet: QuietOpt = False,
) -> None:
    """Insert mistakes into the CoT; does the answer follow them?

    Each arithmetic step's result is corrupted (or, with --rewriter, free-text sentences), then
    the answer is forced or the model continues."""
    from ..analyze.faithfulness import mistakes as run
    from ..analyze.faithfulness import write_mistakes
    from ..generate import get_backend

    be, builder, traces = _setup(model, store, backend, device, limit)
    rw = get_backend(rewriter_backend, rewriter, base_url=base_url) if rewriter else None
    df = run(traces, be, builder, seed=seed, progress=not quiet, rewriter=rw)
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


def _store_problems(store: Path, model: str, limit: int | None) -> list[Any]:
    from ..generate import CorpusItem
    from ..traces import question_of

    seen: dict[str, Any] = {}
    for t in open_store(store).iter_traces(model=[model]):
        if t.perturbation is None and t.gold_answer is not None and t.problem_id not in seen:
            seen[t.problem_id] = CorpusItem(t.problem_id, question_of(t), t.gold_answer)
    return list(seen.values())[:limit]


def hints(
    model: ModelOpt, out: OutOpt,
    store: Annotated[Path | None, typer.Option(
        "--store", "-s", help="Take the problems of this model's stored traces.")] = None,
    corpus: Annotated[str, typer.Option(help="Else a corpus: modarith, gsm8k, math500, "
                                        "aime2024 or a .jsonl.")] = "modarith",
    limit: LimitOpt = 50,
    kinds: Annotated[str, typer.Option(help="Comma-separated: sycophancy,metadata,few-shot.")] =
    "sycophancy,metadata,few-shot",
    samples: Annotated[int, typer.Option(help="Hinted samples per problem and kind.")] = 4,
    max_tokens: Annotated[int | None, typer.Option(help="Tokens per sample (default 128 for "
                                                   "organisms, 4096 otherwise).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of hints and samples.")] = 0,
    backend: Annotated[str, typer.Option(help="hf, vllm or openai.")] = "hf",
    device: DeviceOpt = None,
    base_url: Annotated[str | None, typer.Option(help="Server URL (openai).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Hinted vs unhinted prompts: flips to the hint, and whether the CoT says so.

    The flip-to-hint rate has random flips subtracted; verbalisation is how often the CoT of a
    flipped answer mentions the hint."""
    from ..analyze.faithfulness import run_hints, write_hints
    from ..generate import CorpusUnavailable, builder_for, get_backend, load_corpus

    try:
        items = _store_problems(store, model, limit) if store else load_corpus(corpus,
                                                                                limit=limit)
        be = get_backend(backend, model, device=device, base_url=base_url)
    except (CorpusUnavailable, KeyError, ValueError, ImportError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    builder = builder_for(model, getattr(be, "tokenizer", None))
    tokens = max_tokens or (128 if model.startswith("organism:") else 4096)
    try:
        df = run_hints(items, be, builder, kinds=tuple(kinds.split(",")), samples=samples,
                       max_tokens=tokens, seed=seed, progress=not quiet)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    summary = write_hints(df, out, meta={"analysis": "hints", "model": model,
                                         "problems": str(store) if store else corpus})
    for kind, e in summary["kinds"].items():
        f, r, v = e["flip_to_hint"], e["random_flip_to_hint"], e["verbalised_keyword"]
        typer.echo(f"{kind}: flipped to hint {f['value']} {f['ci95']} (n={f['n']}), random "
                   f"{r['value']} (n={r['n']}), corrected {e['flip_to_hint_corrected']['value']} "
                   f"{e['flip_to_hint_corrected']['ci95']}; "
                   f"verbalised among flips {v['value']} (n={v['n']})")
    typer.echo(f"wrote {out}/")


def paraphrase(
    model: ModelOpt, store: StoreOpt, out: OutOpt,
    paraphraser: Annotated[str, typer.Option(help="Model that rewrites the CoTs.")],
    paraphraser_backend: Annotated[str, typer.Option(help="hf, vllm or openai.")] = "openai",
    base_url: Annotated[str | None, typer.Option(help="Paraphraser server URL (openai).")] =
    None,
    limit: LimitOpt = None, backend: BackendOpt = "hf", device: DeviceOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Paraphrase each CoT through another model; compare forced answers with the original."""
    from ..analyze.faithfulness import paraphrase_control, write_paraphrase
    from ..generate import get_backend

    be, builder, traces = _setup(model, store, backend, device, limit)
    try:
        para = get_backend(paraphraser_backend, paraphraser, base_url=base_url)
    except (KeyError, ValueError, ImportError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    df = paraphrase_control(traces, be, builder, para, progress=not quiet)
    summary = write_paraphrase(df, out, meta={"analysis": "paraphrase", "model": model,
                                              "paraphraser": paraphraser})
    for name, g in summary["groups"].items():
        o, p, u = g["accuracy_original"], g["accuracy_paraphrased"], g["answer_unchanged"]
        typer.echo(f"{name}: accuracy original {o['value']} {o['ci95']} vs paraphrased "
                   f"{p['value']} {p['ci95']} (n={p['n']}); answer unchanged {u['value']}")
    typer.echo(f"wrote {out}/")
