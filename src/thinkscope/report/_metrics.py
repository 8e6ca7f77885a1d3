"""The report's summary table, read back from each analysis's saved summary files: one row per
(section, group, metric) with the value, its 95% CI and n."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _row(section: str, group: str, metric: str, cell: dict[str, Any] | None, n_key: str = "n",
         n: int | None = None, value_key: str = "value") -> dict[str, Any] | None:
    if not cell:
        return None
    v = cell.get(value_key, cell.get("mean", cell.get("accuracy")))
    lo, hi = cell.get("ci95", [None, None])
    return {"section": section, "group": group, "metric": metric, "value": v, "lo": lo,
            "hi": hi, "n": n if n is not None else cell.get(n_key, cell.get("denominator"))}


def collect_metrics(out: str | Path) -> list[dict[str, Any]]:
    """Every headline number of a results directory (missing analyses are skipped)."""
    out = Path(out)
    rows: list[dict[str, Any] | None] = []
    # every registered analysis (the built-ins first), then the probes and steering
    for analysis, summary in registered_summaries(out):
        section = analysis.title or analysis.name
        for group, metric, cell in analysis.metrics(summary):
            rows.append(_row(section, group, metric, cell))
    for summ in sorted((out / "probes").glob("*/summary.json")):
        p = _load(summ) or {}
        group = f"{p.get('model', '')}: {p.get('target', '')}"
        for probe, per_key in p.get("probes", {}).items():
            best = max(per_key.items(), key=lambda kv: kv[1]["task"]["accuracy"])
            key, e = best
            rows.append(_row("probes", group, f"{probe} @ {key} L{e['best_layer']}", e["task"]))
            for base in ("control", "random_init", "layer0", "majority", "shuffled",
                         "text_only"):
                rows.append(_row("probes", group, f"  baseline: {base}", e.get(base)))
        st = _load(summ.parent / "steer_summary.json")
        if st:
            rows.append(_row("steering", group, "answers changed along probe "
                             f"(L{st['layer']}, alpha {st.get('alpha')})", st["probe"]))
            rows.append(_row("steering", group, "answers changed along random directions",
                             st["random"]))
            rows.append(_row("steering", group, "  baseline: no answer along probe",
                             st.get("probe_no_answer")))
            rows.append(_row("steering", group, "  baseline: no answer along random",
                             st.get("random_no_answer")))
            if st.get("probe_to_target"):
                rows.append(_row("steering", group,
                                 f"answer became {st.get('towards_class')} along probe",
                                 st["probe_to_target"]))
                rows.append(_row("steering", group, "  baseline: same along random",
                                 st["random_to_target"]))
            for e in st.get("sweep", []):  # every strength tried, each beside its control
                for what, key in (("changed along probe", "probe"),
                                  ("changed along random", "random"),
                                  ("no answer along random", "random_no_answer")):
                    rows.append(_row("steering", group, f"  sweep alpha {e['alpha']}: {what}",
                                     e.get(key)))
    return [r for r in rows if r is not None]


def registered_summaries(out: Path) -> list[tuple[Any, dict[str, Any]]]:
    """(analysis, saved summary) of every registered analysis with outputs under ``out``."""
    from ..analyze import ANALYSES

    found = []
    for name, analysis in ANALYSES.items():
        summary = _load(analysis.summary_path(out / name))
        if summary is not None:
            found.append((analysis, summary))
    return found


def is_baseline(row: dict[str, Any]) -> bool:
    """Rows that qualify the headline row above them (a control, a baseline)."""
    return str(row["metric"]).startswith("  baseline")


def fold_baselines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each headline row with the baseline rows that follow it folded in as ``beside``
    (name, value, CI, n): a number is read next to its baseline, not seven rows away."""
    out: list[dict[str, Any]] = []
    for r in rows:
        if is_baseline(r) and out:
            out[-1]["beside"].append({"name": r["metric"].split(": ", 1)[-1],
                                      **{k: r[k] for k in ("value", "lo", "hi", "n")}})
        else:
            out.append({**r, "metric": r["metric"].strip(), "beside": []})
    return out
