"""The typer application; each command lives in its own module and is registered here."""

from __future__ import annotations

import sys

import typer

from . import (
    analyze_cmd,
    experiment_cmd,
    export_cmd,
    generate_cmd,
    import_cmd,
    list_cmd,
    organisms_cmd,
    probe_cmd,
    run_cmd,
    show_cmd,
    stats_cmd,
)

app = typer.Typer(
    name="thinkscope",
    help="Collect, analyse and probe reasoning traces of language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_cmd.run)
app.command("report")(run_cmd.report)
app.command("import")(import_cmd.import_traces)
app.command("stats")(stats_cmd.stats)
app.command("fsck")(stats_cmd.fsck)
app.command("show")(show_cmd.show)
app.command("export")(export_cmd.export)
app.command("generate")(generate_cmd.generate)
app.command("list")(list_cmd.list_cmd)
app.add_typer(organisms_cmd.app, name="organisms")
app.add_typer(analyze_cmd.app, name="analyze")
app.add_typer(probe_cmd.app, name="probe")
app.add_typer(experiment_cmd.app, name="experiment")


def main() -> None:
    """Console-script entry point: a store that cannot do what was asked (read-only, full,
    corrupt) ends the command with one line, not a traceback."""
    from ..traces import StoreError

    quiet_third_party_warnings()
    try:
        app()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


def quiet_third_party_warnings() -> None:
    """Other packages' deprecation notices are for their developers, not for a user of this
    command; ours still show, and ``python -W ...`` or ``PYTHONWARNINGS`` bring all back."""
    import warnings

    if sys.warnoptions:
        return
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=r"^(?!thinkscope)")
