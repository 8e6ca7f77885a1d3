"""``thinkscope probe extract|train|steer``: activations of stored traces, probes with their
baselines, and the causal check along a probe direction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..outputs import atomic_outputs
from ._options import StoreOpt, open_store

app = typer.Typer(help="Hidden-state probes: extract activations, train probes, steer.",
                  no_args_is_help=True)

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
DeviceOpt = Annotated[str | None, typer.Option(help="cpu, cuda, ...")]


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(2)


def _traces(store: Path, of: str | None, limit: int | None, min_k: int | None = None,
            max_k: int | None = None) -> list[Any]:
    from ..analyze.errors import parse_chain_question
    from ..traces import question_of

    def chain_length(t: Any) -> int | None:
        p = parse_chain_question(question_of(t))
        return p.k if p else None

    st = open_store(store)
    traces = [t for t in (st.iter_traces(model=[of]) if of and of != "all"
                          else st.iter_traces()) if t.perturbation is None]
    if min_k is not None or max_k is not None:
        traces = [t for t in traces if (k := chain_length(t)) is not None
                  and (min_k is None or k >= min_k) and (max_k is None or k <= max_k)]
    if limit is not None:
        traces = traces[:limit]
    if not traces:
        _fail(f"{store}: no traces" + (f" from model {of!r}" if of and of != "all" else ""))
    return traces


MinKOpt = Annotated[int | None, typer.Option("--min-k", help="Only chain problems with at "
                                                            "least this many steps.")]
MaxKOpt = Annotated[int | None, typer.Option("--max-k", help="Only chain problems with at "
                                                            "most this many steps.")]


@app.command("extract")
def extract(
    model: Annotated[str, typer.Option(help="organism:NAME, hub id or path.")],
    store: StoreOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Activation directory (resumes "
                                                          "when it exists).")],
    layers: Annotated[str, typer.Option(help="all, 0,2,4, 1-3 or -1 (0 = embeddings).")] =
    "all",
    positions: Annotated[str, typer.Option(help="Comma-separated rules: last_prompt, prompt, "
                                                "cot, sentence_ends, filler, answer.")] =
    "last_prompt,sentence_ends,answer",
    components: Annotated[str, typer.Option(help="resid and optionally attn, mlp.")] = "resid",
    traces_of: Annotated[str | None, typer.Option(help="Whose traces (default: --model's; "
                                                       "'all' for every trace).")] = None,
    random_init: Annotated[int | None, typer.Option(help="Random-init baseline: same "
                                                         "architecture, fresh weights of this "
                                                         "seed.")] = None,
    limit: Annotated[int | None, typer.Option(help="First N traces only.")] = None,
    min_k: MinKOpt = None,
    max_k: MaxKOpt = None,
    max_tokens: Annotated[int | None, typer.Option(
        help="Padded tokens per forward batch (default: 2048 on CPU, 8192 on GPU).")] = None,
    device: DeviceOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Teacher-forced activations of stored traces at chosen layers and positions.

    Written as fp16 safetensors shards and a metadata table; a killed run resumes."""
    from ..activations import extract_activations
    from ..models import load_model

    traces = _traces(store, traces_of or model, limit, min_k, max_k)
    try:
        lm = load_model(model, device=device)
        acts = extract_activations(
            lm.model, lm.tokenizer, traces, out, layers=layers, positions=positions,
            components=[c.strip() for c in components.split(",") if c.strip()],
            model_ref=model, random_init=random_init, max_tokens=max_tokens,
            store=str(store), progress=not quiet)
    except (ValueError, KeyError) as exc:
        _fail(str(exc.args[0] if exc.args else exc))
        return
    m = acts.manifest
    typer.echo(f"{out}: {m.n_rows} positions from {len(m.done())} traces, layers "
               f"{m.layers}, d={m.d_model}, tensors {len(m.tensors)}")


@app.command("train")
def train(
    acts: Annotated[Path, typer.Option(help="Activation directory from probe extract.")],
    target: Annotated[str, typer.Option(help="final_answer, correct, next_backtrack or "
                                             "intermediate_N.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    store: Annotated[Path | None, typer.Option(help="Trace store (default: the one the "
                                                    "activations came from).")] = None,
    probe: Annotated[str, typer.Option(help="Comma-separated: logistic, mass_mean.")] =
    "logistic,mass_mean",
    layers: Annotated[str | None, typer.Option(help="Subset of the saved layers.")] = None,
    keys: Annotated[str | None, typer.Option(help="Comma-separated position keys (e.g. "
                                                  "last_prompt,answer).")] = None,
    random_acts: Annotated[Path | None, typer.Option(help="Activations of a random-init model "
                                                          "(probe extract --random-init).")] =
    None,
    no_text: Annotated[bool, typer.Option("--no-text-baseline", help="Skip the text-only "
                                                                     "baseline.")] = False,
    no_mask: Annotated[bool, typer.Option("--no-mask", help="Keep positions where the text "
                                                            "already states the target.")] =
    False,
    folds: Annotated[int, typer.Option(help="Cross-validation folds (grouped, see "
                                            "--group-by).")] = 5,
    group_by: Annotated[str, typer.Option(help="Folds grouped by 'problem' or by the target's "
                                               "'input' (no held-out row shares its inputs "
                                               "with a training row).")] = "problem",
    control_draws: Annotated[int, typer.Option(help="Control-task draws averaged (one draw "
                                                    "varies with few distinct keys).")] = 3,
    c: Annotated[float | None, typer.Option(
        "--c", help="Fix the logistic probe's inverse regularisation C (default: chosen by "
                    "inner cross-validation, several fits per fold: minutes per layer on "
                    "wide hidden states).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Train probes per layer x position, with controls and baselines beside them.

    Control task, shuffled labels, majority, layer 0, random-init and text-only baselines;
    writes results.parquet, summary.json, heatmaps and the best probes (safetensors + JSON)."""
    from ..activations import ActivationSet, parse_layers
    from ..probing import get_target, save_best_probes, train_probes, write_probe_results

    try:
        aset = ActivationSet(acts)
        tgt = get_target(target)
        src = store or (Path(aset.manifest.store) if aset.manifest.store else None)
        if src is None:
            _fail("--store is needed (the activations do not record their store)")
            return
        traces = {t.trace_id: t for t in open_store(src).iter_traces()}
        rand = ActivationSet(random_acts) if random_acts else None
        layer_list = parse_layers(layers, max(aset.layers)) if layers else None
        if layer_list is not None:
            layer_list = [x for x in layer_list if x in aset.layers]
        probes = [p.strip() for p in probe.split(",") if p.strip()]
        params = {"logistic": {"Cs": (c,)}} if c is not None else None
        res = train_probes(aset, traces, tgt, probes, layer_list,
                           keys.split(",") if keys else None, rand, not no_text, not no_mask,
                           folds, progress=not quiet, group_by=group_by,
                           control_draws=control_draws,
                           probe_params=params)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        _fail(str(exc.args[0] if exc.args else exc))
        return
    summary = write_probe_results(res, out, {"target": tgt.name, "acts": str(acts),
                                             "group_by": group_by,
                                             "control_draws": control_draws,
                                             "logistic_C": c if c is not None else "inner CV",
                                             "model": aset.manifest.model,
                                             "random_acts": str(random_acts or "")})
    saved = save_best_probes(aset, traces, tgt, res, out, mask=not no_mask, probe_params=params)
    # CIs resample the cross-validation groups: problems, or the target's distinct inputs
    unit = "problems" if group_by == "problem" else "input groups"
    for name, per_key in summary["probes"].items():
        for key, e in per_key.items():
            t, ctrl = e["task"], e["control"]
            extra = "".join(
                f", {lab} {e[k]['accuracy']:.3f}" for k, lab in
                (("random_init", "random-init"), ("layer0", "layer 0"), ("majority", "majority"),
                 ("text_only", "text-only")) if e.get(k))
            typer.echo(f"{name:9s} {key:12s} best L{e['best_layer']}: {t['accuracy']:.3f} "
                       f"[{t['ci95'][0]:.3f}, {t['ci95'][1]:.3f}] n={t['n']} "
                       f"({t['n_problems']} {unit}); control "
                       f"{ctrl['accuracy'] if ctrl else float('nan'):.3f}, selectivity "
                       f"{e['selectivity'] if e['selectivity'] is not None else float('nan'):+.3f}"
                       f"{extra}")
    typer.echo(f"wrote {out}/results.parquet, summary.json, heatmaps, {len(saved)} probes")


@app.command("steer")
def steer_cmd(
    model: Annotated[str, typer.Option(help="organism:NAME, hub id or path.")],
    store: StoreOpt,
    probe: Annotated[Path, typer.Option(help="A saved probe (OUT/probes/NAME, with or "
                                             "without .json).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    klass: Annotated[str | None, typer.Option("--class", help="Steer towards this class "
                                                              "(multi-class probes).")] = None,
    layer: Annotated[int | None, typer.Option(help="Layer (default: the probe's).")] = None,
    alpha: Annotated[list[float] | None, typer.Option(
        help="Added norm in units of the mean residual norm; repeat to sweep strengths "
             "(default 1.0; real LMs break far below it).")] = None,
    mode: Annotated[str, typer.Option(help="add or ablate.")] = "add",
    n_random: Annotated[int, typer.Option(help="Random directions of the same norm.")] = 8,
    traces_of: Annotated[str | None, typer.Option(help="Whose traces (default: --model's).")] =
    None,
    limit: Annotated[int | None, typer.Option(help="First N traces only.")] = 200,
    min_k: MinKOpt = None,
    max_k: MaxKOpt = None,
    device: DeviceOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Steer generation along a probe direction; compare with random directions.

    Answer-change rate when adding (or ablating) the direction, vs random directions of the
    same norm."""
    import numpy as np

    from ..models import load_model
    from ..probing import load_probe, steer

    path = probe.with_suffix("") if probe.suffix in (".json", ".safetensors") else probe
    try:
        est = load_probe(path)
    except FileNotFoundError as exc:
        _fail(f"{probe}: {exc}")
        return
    info = json.loads(path.with_suffix(".json").read_text())["extra"]
    lay = layer if layer is not None else int(info.get("layer", 1))
    dirs = np.asarray(est.directions_)
    classes = [str(c) for c in est.classes_]
    if dirs.shape[0] == 1:
        direction, target_answer = dirs[0], (klass or classes[1])
        if klass is not None and klass == classes[0]:
            direction = -direction
    else:
        if klass is None or klass not in classes:
            _fail(f"--class is needed for a multi-class probe; one of {', '.join(classes)}")
            return
        direction, target_answer = dirs[classes.index(klass)], klass
    traces = _traces(store, traces_of or model, limit, min_k, max_k)
    lm = load_model(model, device=device)
    alphas = alpha or [1.0]
    table, summary = steer(lm.model, lm.tokenizer, traces, direction, lay, alphas, mode,
                           n_random, target_answer=target_answer, progress=not quiet)
    summary.update(probe_file=str(path), target_class=target_answer)
    with atomic_outputs(out, "steer", {"probe_file": str(path), "layer": lay, "alpha": alphas,
                                       "mode": mode, "model": model}) as d:
        table.to_parquet(d / "steer.parquet", index=False)
        (d / "summary.json").write_text(json.dumps(summary, indent=1))
    for e in summary.get("sweep", []):
        typer.echo(f"  alpha={e['alpha']}: changed {e['probe']['value']:.3f} along the probe, "
                   f"{e['random']['value']:.3f} random; no answer "
                   f"{e['random_no_answer']['value']:.3f} random (n={e['random']['n']})")
    if "alpha_rule" in summary:
        typer.echo(f"headline alpha={summary['alpha']}: {summary['alpha_rule']}")
    p, r = summary["probe"], summary["random"]
    typer.echo(f"L{lay} {mode} alpha={summary['alpha']}: answers changed {p['value']:.3f} "
               f"[{p['ci95'][0]:.3f}, {p['ci95'][1]:.3f}] n={p['n']} along the probe vs "
               f"{r['value']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}] n={r['n']} along "
               f"{n_random} random directions")
    pn, rn = summary["probe_no_answer"], summary["random_no_answer"]
    line = f"no answer at all: {pn['value']:.3f} along the probe, {rn['value']:.3f} random"
    if "probe_to_target" in summary:
        pt, rt = summary["probe_to_target"], summary["random_to_target"]
        line += (f"; answer became {target_answer}: {pt['value']:.3f} [{pt['ci95'][0]:.3f}, "
                 f"{pt['ci95'][1]:.3f}] along the probe, {rt['value']:.3f} random")
    typer.echo(line)
    typer.echo(f"wrote {out}/steer.parquet, summary.json")
