"""One way to add an analysis: an ``Analysis`` registered in ``ANALYSES`` shows up as
``thinkscope analyze NAME``, as a step of ``thinkscope run`` and as a section of the report, with
no other file edited.

An analysis declares its parameters as a pydantic model (validated from the CLI's
``--param key=value``, a run plan or Python), computes tidy tables plus a summary with n and CIs
from traces (``run``), and says how the report shows it (``metrics``: rows of the summary table;
``figure``: drawn from the saved files; ``caption``; ``findings``: sentences for the report's
opening). ``write_analysis`` saves a result all or
nothing under ``<name>.manifest.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..outputs import atomic_outputs
from ..registry import Registry
from ..traces import Trace

#: rows of the report's summary table: (group, metric, cell with value/mean, ci95 and n)
MetricRows = list[tuple[str, str, dict[str, Any] | None]]


def summary_n_traces(summary: dict[str, Any]) -> int:
    """Traces behind a saved summary: the sum of its groups' ``n_traces``."""
    return sum(int(g.get("n_traces", 0)) for g in summary.get("groups", {}).values())


class NoParams(BaseModel):
    """An analysis without parameters."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class AnalysisContext:
    """What an analysis may use besides its traces: a backend and prompt builder per model
    (model-facing analyses), an optional helper backend (judge / rewriter), progress bars."""

    backend: Callable[[str], Any] | None = None
    builder: Callable[[str], Any] | None = None
    helper: Any = None
    progress: bool = True
    log: Callable[[str], None] = print


@dataclass
class AnalysisResult:
    """Tidy tables (one parquet each) and a JSON-able summary with n and CIs; ``skipped`` says
    what could not be done and why (the report prints it)."""

    tables: dict[str, Any]
    summary: dict[str, Any]
    skipped: str | None = None


@dataclass(frozen=True)
class Analysis:
    """A registered analysis; see the module docstring."""

    name: str
    description: str
    run: Callable[[Sequence[Trace], AnalysisContext, Any], AnalysisResult]
    params: type[BaseModel] = NoParams
    #: needs a model (a backend) to intervene on, not only the traces' text
    needs_model: bool = False
    #: section title in the report
    title: str = ""
    #: rows of the report's summary table from the saved summary: (group, metric, cell) where a
    #: cell is a dict with value/mean, ci95 and n
    metrics: Callable[[dict[str, Any]], MetricRows] = \
        field(default=lambda s: [])
    #: draws ``figure_path`` in the output folder from the saved files (after they are written)
    figure: Callable[[Path], Any] | None = None
    caption: Callable[[dict[str, Any]], str] = field(default=lambda s: "")
    #: the report's key findings, one sentence each, from the saved summary; None: each metric
    #: that has baselines, read against its strongest one
    findings: Callable[[dict[str, Any]], list[str]] | None = None
    #: part of ``thinkscope run``'s default plan (the built-in analyses are run by the plan's
    #: own steps, which choose their models and traces: they say False)
    in_run: bool = True
    #: file names under the output folder; empty: ``<name>_summary.json`` and ``<name>.png``
    #: (the built-in analyses keep the names their outputs have always had)
    summary_file: str = ""
    figure_file: str = ""

    def parse_params(self, values: dict[str, Any] | BaseModel | None = None) -> BaseModel:
        """Validated parameters (a ``pydantic.ValidationError`` names any bad field)."""
        if isinstance(values, self.params):
            return values
        return self.params.model_validate(values or {})

    def summary_path(self, dest: str | Path) -> Path:
        return Path(dest) / (self.summary_file or f"{self.name}_summary.json")

    def figure_path(self, dest: str | Path) -> Path:
        return Path(dest) / (self.figure_file or f"{self.name}.png")


ANALYSES: Registry[Analysis] = Registry("analysis", "analyses")


def register_analysis(analysis: Analysis) -> Analysis:
    """Add ``analysis`` to ``ANALYSES`` (the CLI, ``thinkscope run`` and the report read it)."""
    return ANALYSES.add(analysis.name, analysis, analysis.description)


def write_analysis(analysis: Analysis, result: AnalysisResult, dest: str | Path,
                   inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """``<table>.parquet`` per table, ``<name>_summary.json`` and the figure, committed together
    under ``<name>.manifest.json``; returns the summary as saved."""
    summary = {**(inputs or {}), **result.summary, "analysis": analysis.name}
    if result.skipped:
        summary["skipped"] = result.skipped
    with atomic_outputs(dest, analysis.name, {**(inputs or {}), "analysis": analysis.name}) as d:
        for table, df in result.tables.items():
            df.to_parquet(d / f"{table}.parquet", index=False)
        analysis.summary_path(d).write_text(json.dumps(summary, indent=2, default=str) + "\n")
        if analysis.figure is not None and not result.skipped:
            analysis.figure(d)
    return summary


def run_analysis(name: str, traces: Sequence[Trace], dest: str | Path,
                 params: dict[str, Any] | BaseModel | None = None,
                 context: AnalysisContext | None = None,
                 inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Look up, validate, run and write analysis ``name``; returns the saved summary."""
    analysis = ANALYSES.lookup(name)
    p = analysis.parse_params(params)
    result = analysis.run(traces, context or AnalysisContext(), p)
    return write_analysis(analysis, result, dest,
                          {**(inputs or {}), "params": p.model_dump(mode="json")})
