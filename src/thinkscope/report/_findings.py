"""The report's opening: its key findings as sentences, generated from the saved numbers.

Each sentence names the models compared, the values with their 95% CIs and n, and the baseline
or comparison that gives the number its meaning; where intervals overlap it says the data do not
separate the models rather than ranking them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._metrics import collect_metrics, fold_baselines, registered_summaries


def cell(row: dict[str, Any], digits: int = 2) -> str:
    """``0.43 [0.40, 0.46], n = 120``."""
    v = row.get("value")
    if v is None:
        return "–"
    text = f"{v:.{digits}f}" if isinstance(v, float) else str(v)
    if row.get("lo") is not None and row.get("hi") is not None:
        text += f" [{row['lo']:.{digits}f}, {row['hi']:.{digits}f}]"
    if row.get("n") is not None:
        text += f", n = {row['n']}"
    return text


def _apart(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    """Whether the 95% intervals of ``a`` (higher) and ``b`` do not overlap; None without CIs."""
    if a.get("lo") is None or b.get("hi") is None:
        return None
    return bool(a["lo"] > b["hi"])


def _separation(apart: bool | None) -> str:
    if apart is None:
        return ""
    return " (95% CIs apart)" if apart else " (95% CIs overlap: not separated at this n)"


def compare_groups(rows: list[dict[str, Any]], what: str, meaning: str) -> str | None:
    """One sentence over every group of ``rows`` (same metric): highest first, then whether the
    extremes are separated. ``meaning`` says what a higher value means."""
    rows = [r for r in rows if r.get("value") is not None]
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["value"], reverse=True)
    listed = "; ".join(f"{r['group']} {cell(r)}" for r in rows)
    if len(rows) == 1:
        return f"{what} ({meaning}): {listed}."
    top, bottom = rows[0], rows[-1]
    return (f"{what} ({meaning}): {listed}. Highest {top['group']}, lowest {bottom['group']}"
            f"{_separation(_apart(top, bottom))}.")


def against_baselines(row: dict[str, Any], what: str) -> str:
    """A number against its strongest baseline (the one a reader must beat)."""
    beside = [b for b in row.get("beside", []) if b.get("value") is not None]
    if not beside:
        return f"{what}: {cell(row)}."
    best = max(beside, key=lambda b: b["value"])
    above = row.get("lo") is not None and row["lo"] > best["value"]
    verdict = ("above every baseline" if above else
               "not above its strongest baseline: nothing here that the baselines do not "
               "explain")
    return (f"{what}: {cell(row)}, {verdict} (strongest: {best['name']} "
            f"{best['value']:.2f}).")


def _pick(rows: list[dict[str, Any]], section: str,
          metric: Callable[[str], bool]) -> list[dict[str, Any]]:
    return [r for r in rows if r["section"] == section and metric(r["metric"])]


def findings(out: str | Path, rows: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
    """``[{"section": ..., "text": ...}]``: what the results say, one sentence each."""
    out = Path(out)
    folded = fold_baselines(rows if rows is not None else collect_metrics(out))
    said: list[dict[str, str]] = []

    def add(section: str, text: str | None) -> None:
        if text:
            said.append({"section": section, "text": text})

    add("behaviors", compare_groups(
        _pick(folded, "behaviors", lambda m: m.startswith("backtracking fraction")),
        "Backtracking (fraction of reasoning segments)", "higher = backtracks more"))
    add("step errors", compare_groups(
        _pick(folded, "step errors", lambda m: m == "step error rate"),
        "Step error rate (erroneous / checkable steps)", "higher = more wrong steps"))
    add("step errors", compare_groups(
        _pick(folded, "step errors", lambda m: m == "answer accuracy"),
        "Answer accuracy", "fraction of final answers right"))
    add("early answering", compare_groups(
        _pick(folded, "early answering", lambda m: m.startswith("AOC")),
        "Early answering AOC",
        "higher = the answer depends more on the CoT; near 0 = decorative CoT"))
    add("adding mistakes", compare_groups(
        _pick(folded, "adding mistakes", lambda m: m == "answer changed (forced)"),
        "Answer changed by one corrupted step (forced answer)",
        "higher = the model reads its written results"))
    for group in dict.fromkeys(r["group"] for r in folded if r["section"] == "filler"):
        conds = {r["metric"]: r for r in folded
                 if r["section"] == "filler" and r["group"] == group}
        parts = [f"{m.removeprefix('accuracy (').rstrip(')')} {cell(r)}"
                 for m, r in conds.items() if r.get("value") is not None]
        if parts:
            add("filler", f"Accuracy of {group} with its CoT, with the CoT replaced by filler and "
                          f"with none: {'; '.join(parts)}.")
    for r in _pick(folded, "probes", lambda m: " @ " in m):
        add("probes", against_baselines(r, f"Probe for {r['group']} ({r['metric']})"))
    steer_groups = dict.fromkeys(r["group"] for r in folded if r["section"] == "steering")
    for group in steer_groups:
        sub = [r for r in folded if r["section"] == "steering" and r["group"] == group]
        probe = next((r for r in sub if r["metric"].startswith("answers changed along probe")),
                     None)
        rand = next((r for r in sub if r["metric"].startswith("answers changed along random")),
                    None)
        if probe and rand and probe.get("value") is not None and rand.get("value") is not None:
            apart = _apart(probe, rand)
            verdict = ("moves answers more than random directions of the same norm" if apart
                       else "does not move answers more than random directions of the same "
                            "norm: a correlate, not shown to be used")
            add("steering", f"Steering along the {group} probe {verdict}: {cell(probe)} along "
                            f"the probe vs {cell(rand)} along random directions.")
    for analysis, summary in registered_summaries(out):
        if summary.get("skipped"):
            continue
        title = analysis.title or analysis.name
        if analysis.findings is not None:
            for text in analysis.findings(summary):
                add(title, text)
            continue
        # generic: every metric that has baselines, against the strongest of them
        own = [r for r in folded if r["section"] == title and r["beside"]]
        for r in own:
            add(title, against_baselines(r, f"{title}, {r['group']}, {r['metric']}"))
    return said
