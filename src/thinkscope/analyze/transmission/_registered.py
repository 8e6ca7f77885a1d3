"""The ``transmission`` analysis: ``thinkscope analyze transmission --store S`` over a store
holding the answers of a transmission experiment's models (``transmission-ask-*`` corpora).

With ``experiment=DIR`` the summary also carries what the experiment's other stages saved there:
the filter's counts per data set, each student's training record and the knowledge probes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...traces import Trace
from .._registry import Analysis, AnalysisContext, AnalysisResult, MetricRows, register_analysis


class TransmissionParams(BaseModel):
    """Where the experiment's side files are (optional)."""

    model_config = ConfigDict(extra="forbid")
    experiment: str | None = Field(None, description="the experiment folder (filters, "
                                                     "students, probes)")


def _side_files(folder: Path) -> dict[str, Any]:
    def load(p: Path) -> Any:
        return json.loads(p.read_text()) if p.is_file() else None

    from ...interventions import likelihood_summary

    students = load(folder / "students" / "students.json")  # label -> training record
    rows = [r for p in sorted(folder.glob("likelihood/*.json")) for r in load(p)]
    probes = {p.stem: load(p) for p in sorted(folder.glob("probes/*.json"))}
    return {"filters": load(folder / "data" / "filters.json"), "students": students,
            "probes": probes, "stage_seconds": load(folder / "stage_seconds.json"),
            "likelihood": likelihood_summary(rows)}


def _run(traces: Sequence[Trace], ctx: AnalysisContext, p: Any) -> AnalysisResult:
    from ...interventions import comparisons, expression_table

    current = None
    if p.experiment:
        index = Path(p.experiment) / "students" / "students.json"
        records = json.loads(index.read_text()) if index.is_file() else {}
        ids = {r["model_id"] for r in records.values() if "model_id" in r}
        current = ids or None  # an index written before digests were recorded: keep all
    table = expression_table(traces, current)
    if table.empty:
        return AnalysisResult({}, {}, skipped="no transmission-ask-* traces in the store (run "
                                              "`thinkscope experiment transmission` first)")
    summary: dict[str, Any] = {
        "rates": table.drop(columns=["model_id"]).to_dict(orient="records"),
        "comparisons": comparisons(table),
        "knowledge": sorted(table["knowledge"].unique()),
    }
    if p.experiment:
        summary.update(_side_files(Path(p.experiment)))
    return AnalysisResult({"transmission": table}, summary)


def _cell(rate: float, lo: float, hi: float, n: int) -> dict[str, Any]:
    return {"value": rate, "ci95": [lo, hi], "n": n}


def _metrics(s: dict[str, Any]) -> MetricRows:
    rows: MetricRows = []
    for r in s.get("rates", []):
        rows.append((r["knowledge"], f"expressed by {r['model']}",
                     _cell(r["rate"], r["ci_low"], r["ci_high"], r["n"])))
    for c in s.get("comparisons", []):
        rows.append((c["knowledge"], f"{c['comparison']}: {c['a']} - {c['b']}",
                     {"value": c["difference"], "ci95": c["ci95"], "n": c["n_a"] + c["n_b"]}))
    for name, lk in (s.get("likelihood") or {}).items():
        for model, cell in lk["models"].items():
            rows.append((name, f"P(target answer) under {model}", cell))
        for c in lk["comparisons"]:
            rows.append((name, f"log10 P ratio, {c['comparison']}: {c['a']} / {c['b']}",
                         c["log10_ratio"]))
            if c.get("margin_shift", {}).get("mean") is not None:
                rows.append((name, f"  specificity (target vs decoys), {c['comparison']}",
                             c["margin_shift"]))
    for name, pr in (s.get("probes") or {}).items():
        if not pr:
            continue
        best = pr["best"]
        rows.append((name, f"probe accuracy L{pr['layer']} (told vs not, grouped CV)",
                     {"value": best["accuracy"], "ci95": best["ci95"], "n": best["n"]}))
        rows.append((name, "  baseline: shuffled labels",
                     {"value": best["shuffled"], "ci95": [None, None], "n": best["n"]}))
        for label, cell in pr["students"].items():
            rows.append((name, f"probe reading in {label}",
                         {"value": cell["mean"], "ci95": cell["ci95"], "n": cell["n"]}))
    return rows


def _findings(s: dict[str, Any]) -> list[str]:
    out = []
    for c in s.get("comparisons", []):
        if c["comparison"] not in ("transmission", "positive control", "cross-initialisation"):
            continue
        lo, hi = c["ci95"]
        verdict = "detected" if c["detected"] else "not detected"
        out.append(f"{c['knowledge']}, {c['comparison']}: {c['a']} {c['rate_a']:.3f} "
                   f"(n={c['n_a']}) vs {c['b']} {c['rate_b']:.3f} (n={c['n_b']}), difference "
                   f"{c['difference']:+.3f} [{lo:+.3f}, {hi:+.3f}]: {verdict}.")
    for name, lk in (s.get("likelihood") or {}).items():
        for c in lk["comparisons"]:
            if not c["comparison"].startswith(("transmission", "cross-initialisation")):
                continue
            out.append(f"{name}, P(target answer) {c['a']} vs {c['b']}: "
                       f"{_shift(c['log10_ratio'], c.get('unit', 'questions'))}: "
                       f"{'detected' if c['detected'] else 'not detected'}" + (
                           f"; relative to the decoys {_shift(c['margin_shift'], '')}: "
                           f"{'specific' if c['specific'] else 'not specific'}"
                           if c.get("margin_shift", {}).get("mean") is not None else "") + ".")
    return out


def _shift(cell: dict[str, Any], unit: str) -> str:
    lo, hi = cell["ci95"]
    ci = f"[{lo:+.2f}, {hi:+.2f}]" if lo is not None else "[no CI]"
    over = f" over {cell['n']} {unit}" if unit else ""
    return f"log10 {cell['mean']:+.2f} {ci}{over}"


def _figure(d: Path) -> Any:
    from ...figures import transmission_figure

    summary = TRANSMISSION.summary_path(d)
    likelihood = (json.loads(summary.read_text()).get("likelihood")
                  if summary.is_file() else None)
    return transmission_figure(d / "transmission.parquet", TRANSMISSION.figure_path(d),
                               likelihood)


TRANSMISSION = register_analysis(Analysis(
    name="transmission",
    description="knowledge transmission through fine-tuning data: how often teachers, treated "
                "and control students express a teacher's latent knowledge",
    run=_run, params=TransmissionParams, title="transmission through training data",
    metrics=_metrics, figure=_figure, findings=_findings, in_run=False,
    caption=lambda s: (
        "Rate at which each model expresses the knowledge when asked neutral questions "
        "(questions x samples at T=1), Wilson 95% CIs. Treated students were fine-tuned on "
        "filtered number sequences from a teacher told the knowledge in its system prompt; "
        "control students on the same amount of data from a teacher without it; positive "
        "controls on the treated data with the knowledge stated in every answer."),
))
