"""``thinkscope analyze``: behaviours and step errors over a store (thin over
``thinkscope.analyze``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from . import faithfulness_cmd
from ._options import ExecutorOpt, StoreOpt, WorkersOpt, check_executor, open_store
from .registered_cmd import RegisteredAnalyses

app = typer.Typer(help="Analyse stored traces.", no_args_is_help=True, cls=RegisteredAnalyses)
behaviors_app = typer.Typer(help="Label reasoning behaviours per segment.")
app.add_typer(behaviors_app, name="behaviors")

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]
SegmentsOpt = Annotated[str, typer.Option(
    help="gold: the trace's labelled segments when it has them; auto: sentences.")]
ModelFilter = Annotated[list[str] | None, typer.Option(
    "--model", help="Only traces of this model (repeatable).")]


def _traces(store: Path, models: list[str] | None, limit: int | None) -> list[Any]:
    st = open_store(store)
    out = []
    for t in st.iter_traces(model=models or None):
        if t.perturbation is not None:
            continue  # perturbed traces belong to the faithfulness analyses
        out.append(t)
        if limit is not None and len(out) >= limit:
            break
    if not out:
        typer.echo(f"error: {store}: no traces to analyse", err=True)
        raise typer.Exit(2)
    return out


def _check_segments(segments: str) -> None:
    if segments not in ("gold", "auto"):
        typer.echo(f"error: --segments must be gold or auto, not {segments!r}", err=True)
        raise typer.Exit(2)


@behaviors_app.callback(invoke_without_command=True)
def behaviors(
    ctx: typer.Context,
    store: Annotated[Path | None, typer.Option("--store", "-s", help="Trace store.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory.")] = None,
    detector: Annotated[str, typer.Option(help="keyword, classifier or judge.")] = "classifier",
    segments: SegmentsOpt = "gold",
    by: Annotated[str, typer.Option(help="Grouping column: model, model_kind or corpus.")] =
    "model",
    model: ModelFilter = None,
    limit: Annotated[int | None, typer.Option(help="First N traces only.")] = None,
    artifact: Annotated[Path | None, typer.Option(
        help="Classifier directory (default: the shipped one).")] = None,
    judge_backend: Annotated[str, typer.Option(help="Judge backend: hf, vllm or openai.")] =
    "openai",
    judge_model: Annotated[str | None, typer.Option(help="Judge model id/path.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Judge server URL (openai).")] = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Label every segment, then write segments.parquet, traces.parquet, summary.json and
    behaviors.png to OUT."""
    if ctx.invoked_subcommand is not None:
        return
    if store is None or out is None:
        typer.echo("error: --store and --out are required", err=True)
        raise typer.Exit(2)
    _check_segments(segments)
    check_executor(executor)
    from ..analyze.behaviors import format_agreement, get_detector, label_traces, write_behaviors

    kwargs: dict[str, Any] = {"artifact": artifact}
    if detector == "judge":
        if not judge_model:
            typer.echo("error: the judge detector needs --judge-model", err=True)
            raise typer.Exit(2)
        from ..generate import get_backend

        kwargs["backend"] = get_backend(judge_backend, judge_model, base_url=base_url)
    try:
        det = get_detector(detector, **kwargs)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    traces = _traces(store, model, limit)
    result = label_traces(traces, det, segments, progress=not quiet, workers=workers,
                          executor=executor)
    summary = write_behaviors(result, out, by=by, inputs={
        "store": open_store(store).state_id(), "segments": segments, "model": model,
        "limit": limit})
    failures = getattr(det, "failures", [])
    if failures:
        typer.echo(f"judge: {len(failures)} window(s) unparsed, e.g. {failures[0]}", err=True)
    for name, g in summary["groups"].items():
        bt = g["behaviors"]["backtracking"]
        line = (f"{name}: n={g['n_traces']} traces, backtracking fraction "
                f"{bt['fraction']['mean']} {bt['fraction']['ci95']}, per 1k tokens "
                f"{bt['per_1k_tokens']['mean']} {bt['per_1k_tokens']['ci95']}")
        if "agreement" in g:
            line += f"; vs gold: {format_agreement(g['agreement'])}"
        typer.echo(line)
    typer.echo(f"wrote {out}/ (detector: {det.name})")


@behaviors_app.command("fit")
def fit(
    store: Annotated[list[Path], typer.Option("--store", "-s", help="Store(s) with gold-labelled "
                                              "segments (repeatable).")],
    out: OutOpt,
    c: Annotated[float, typer.Option("--C", help="Inverse regularisation strength.")] = 4.0,
    no_eval: Annotated[bool, typer.Option("--no-eval", help="Skip the CV estimate.")] = False,
) -> None:
    """Refit the classifier detector on gold-labelled segments.

    Writes the safe artifact and fit_report.json (grouped-CV and leave-one-model-out
    agreement)."""
    from ..analyze.behaviors import fit_classifier, format_agreement

    traces = [t for s in store for t in open_store(s).iter_traces()]
    try:
        clf, report = fit_classifier(traces, C=c, evaluate=not no_eval)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    clf.save(out)
    (Path(out) / "fit_report.json").write_text(json.dumps(report, indent=2) + "\n")
    cv = report.get("grouped_cv", {}).get("all")
    if cv:
        typer.echo(f"grouped CV (whole traces held out): {format_agreement(cv)}")
    typer.echo(f"wrote {out}/ ({report['n_segments']} segments, {report['n_traces']} traces)")


def errors(
    store: StoreOpt,
    out: OutOpt,
    segments: SegmentsOpt = "gold",
    by: Annotated[str, typer.Option(help="Grouping column: model, model_kind or corpus.")] =
    "model",
    model: ModelFilter = None,
    limit: Annotated[int | None, typer.Option(help="First N traces only.")] = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Check the arithmetic of every step; write traces.parquet, summary.json and errors.png."""
    _check_segments(segments)
    check_executor(executor)
    from ..analyze.errors import check_traces, write_errors

    st = open_store(store)
    df = check_traces(_traces(store, model, limit), segments,  # type: ignore[arg-type]
                      progress=not quiet, workers=workers, executor=executor)
    summary = write_errors(df, out, by=by, inputs={"store": st.state_id(), "segments": segments,
                                                   "model": model, "limit": limit})
    for name, g in summary["groups"].items():
        r = g["step_error_rate"]
        if r["denominator"]:
            line = (f"{name}: n={g['n_traces']} traces, step error rate {r['value']} "
                    f"{r['ci95']} ({r['numerator']}/{r['denominator']} checkable steps)")
        else:
            line = (f"{name}: n={g['n_traces']} traces, step error rate not measurable "
                    "(0 checkable steps)")
        if g["traces_with_wrong_restatement"]["k"]:
            line += f"; wrong restatements {g['traces_with_wrong_restatement']['k']}"
        if "first_error_accuracy" in g:
            f = g["first_error_accuracy"]
            if f.get("not_measurable"):
                line += f"; first-error accuracy not measurable ({f['not_measurable']})"
            else:
                line += f"; first-error accuracy {f['value']} {f['ci95']} (n={f['n']})"
                if g.get("first_error_unmeasurable_traces"):
                    line += (f", {g['first_error_unmeasurable_traces']} labelled traces with "
                             "no checkable step left out")
        typer.echo(line)
    typer.echo(f"wrote {out}/")


app.command("errors")(errors)
app.command("early-answering")(faithfulness_cmd.early_answering)
app.command("mistakes")(faithfulness_cmd.mistakes)
app.command("filler")(faithfulness_cmd.filler)
app.command("importance")(faithfulness_cmd.importance)
app.command("hints")(faithfulness_cmd.hints)
app.command("paraphrase")(faithfulness_cmd.paraphrase)
