"""``thinkscope analyze NAME`` for every analysis in ``thinkscope.analyze.ANALYSES`` that has no
hand-written command: options, parameter help and the printed result are generated from the
analysis itself, so a new analysis needs no CLI code."""

# no ``from __future__ import annotations`` here: the generated command's annotations must be
# evaluated where it is defined, with the analysis in scope, for typer to read them

import json
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup


def _param_value(raw: str, annotation: Any) -> Any:
    """``KEY=VALUE`` text to a value pydantic can validate: JSON when it parses, a comma list
    for sequence fields, else the string."""
    try:
        return json.loads(raw)
    except ValueError:
        pass
    origin = typing.get_origin(annotation)
    if origin in (tuple, list) or annotation in (tuple, list):
        return [x.strip() for x in raw.split(",") if x.strip()]
    return raw


def _fail(message: str) -> typing.NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def parse_params(analysis: Any, pairs: tuple[str, ...]) -> Any:
    """Validated parameters from ``--param KEY=VALUE`` pairs (one-line errors)."""
    from pydantic import ValidationError

    fields = analysis.params.model_fields
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in fields:
            valid = ", ".join(fields) or "none"
            _fail(f"--param {pair!r}: expected KEY=VALUE with KEY one of {valid}")
        values[key] = _param_value(raw, fields[key].annotation)
    try:
        return analysis.parse_params(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        _fail(f"--param {where}: {err['msg']}")


def _params_help(analysis: Any) -> str:
    lines = []
    for name, f in analysis.params.model_fields.items():
        default = f.default if f.default is not None else "none"
        desc = f" - {f.description}" if f.description else ""
        lines.append(f"{name} (default {default}){desc}")
    return "; ".join(lines) if lines else "none"


def _command(analysis: Any) -> Any:
    """The click command of ``analysis``, built through typer like every other command."""
    sub = typer.Typer(add_completion=False)

    @sub.command(name=analysis.name, short_help=analysis.description,
                 help=f"{analysis.description[:1].upper()}{analysis.description[1:]}.")
    def command(
        store: Annotated[Path, typer.Option("--store", "-s", help="Trace store.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
        model: Annotated[list[str] | None, typer.Option(
            "--model", help="Only traces of this model (repeatable).")] = None,
        limit: Annotated[int | None, typer.Option(help="First N traces only.")] = None,
        backend: Annotated[str, typer.Option(
            help="Backend of the traces' model: hf, vllm or openai.")] = "hf",
        device: Annotated[str | None, typer.Option(help="cpu, cuda, ...")] = None,
        base_url: Annotated[str | None, typer.Option(help="Server URL (openai).")] = None,
        helper_model: Annotated[str | None, typer.Option(
            help="A judge / rewriter model, for analyses that use one.")] = None,
        helper_backend: Annotated[str, typer.Option(help="Backend of the helper model.")] =
        "hf",
        helper_base_url: Annotated[str | None, typer.Option(
            help="Helper server URL (openai).")] = None,
        param: Annotated[list[str] | None, typer.Option(
            "--param", metavar="KEY=VALUE",
            help=f"Analysis parameters: {_params_help(analysis)}.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] =
        False,
    ) -> None:
        _run(analysis, store, out, tuple(model or ()), limit, backend, device, base_url,
             helper_model, helper_backend, helper_base_url, tuple(param or ()), quiet)

    return typer.main.get_command(sub)


def _run(analysis: Any, store: Path, out: Path, model: tuple[str, ...], limit: int | None,
         backend: str, device: str | None, base_url: str | None, helper_model: str | None,
         helper_backend: str, helper_base_url: str | None, param: tuple[str, ...],
         quiet: bool) -> None:
    from ..analyze import AnalysisContext, run_analysis
    from ..generate import builder_for, get_backend
    from ._options import open_store

    params = parse_params(analysis, param)
    st = open_store(store)
    traces = [t for t in st.iter_traces(model=list(model) or None) if t.perturbation is None]
    if limit is not None:
        traces = traces[:limit]
    if not traces:
        typer.echo(f"error: {store}: no traces to analyse", err=True)
        raise typer.Exit(2)
    backends: dict[str, Any] = {}

    def get(m: str) -> Any:
        if m not in backends:
            backends[m] = get_backend(backend, m, device=device, base_url=base_url)
        return backends[m]

    ctx = AnalysisContext(progress=not quiet)
    if analysis.needs_model:
        ctx.backend = get
        ctx.builder = lambda m: builder_for(m, getattr(get(m), "tokenizer", None))
        if helper_model:
            ctx.helper = get_backend(helper_backend, helper_model, device=device,
                                     base_url=helper_base_url)
    try:
        summary = run_analysis(analysis.name, traces, out, params, ctx,
                               {"store": st.state_id()})
    except (KeyError, ValueError, ImportError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    if summary.get("skipped"):
        typer.echo(f"skipped: {summary['skipped']}")
    for group, metric, cell in analysis.metrics(summary):
        if cell:
            v = cell.get("value", cell.get("mean"))
            typer.echo(f"{group}: {metric.strip()} {v} {cell.get('ci95')} (n={cell.get('n')})")
    typer.echo(f"wrote {out}/")


class RegisteredAnalyses(TyperGroup):
    """The ``analyze`` group: its hand-written commands plus one generated per registered
    analysis (looked up when the CLI runs, so plugins and later registrations appear)."""

    #: registered analyses whose hand-written command has another name
    #: (``analyze early-answering`` runs ``early``)
    covered = frozenset({"early"})

    def _registered(self) -> dict[str, Any]:
        from ..analyze import ANALYSES

        return {n: a for n, a in ANALYSES.items()
                if n not in self.commands and n not in self.covered}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self._registered()]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        analysis = self._registered().get(cmd_name)
        return _command(analysis) if analysis is not None else None
