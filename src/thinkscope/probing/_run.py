"""Writing a probe run: tidy results, a JSON summary and the layer x position heatmaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._train import summarize_probes


def write_probe_results(results: Any, out: str | Path, meta: dict[str, Any] | None = None
                        ) -> dict[str, Any]:
    """``OUT/results.parquet``, ``OUT/summary.json`` and ``OUT/heatmap_<probe>.png``."""
    from ..figures import probe_heatmap_figure
    from ..outputs import atomic_outputs

    summary = {**(meta or {}), "probes": summarize_probes(results)}
    with atomic_outputs(out, "probes", meta) as dest:
        results.to_parquet(dest / "results.parquet", index=False)
        (dest / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
        for probe in sorted(p for p in results["probe"].unique() if p not in ("-", "text")):
            probe_heatmap_figure(dest / "results.parquet", dest / f"heatmap_{probe}.png", probe)
    return summary


def save_best_probes(acts: Any, traces: Any, target: Any, results: Any, out: str | Path,
                     probe_params: dict[str, dict[str, Any]] | None = None,
                     mask: bool = True) -> list[Path]:
    """Refit each probe type at its best (layer, position) on all rows and save it (no pickle)
    as ``OUT/probes/<probe>_<key>_L<layer>``, with the layer and key recorded for steering."""
    from ._persist import save_probe
    from ._probes import make_probe
    from ._train import probe_rows

    by_id = traces if isinstance(traces, dict) else {t.trace_id: t for t in traces}
    task = results[(results["condition"] == "task") & (results["layer"] >= 0)]
    saved = []
    for probe, df in task.groupby("probe"):
        best = df.sort_values(["accuracy", "layer"], ascending=[False, True]).iloc[0]
        lay, key = int(best["layer"]), str(best["key"])
        rows = probe_rows(acts, by_id, target, [key], mask, min_rows=1)
        y = rows["label"].to_numpy()
        y = y.astype(str) if y.dtype == object else y
        X = acts.array(lay)[rows["row"].to_numpy()]
        est = make_probe(str(probe), **(probe_params or {}).get(str(probe), {}))
        est.fit(X, y, groups=rows["problem_id"].to_numpy())
        path = Path(out) / "probes" / f"{probe}_{key}_L{lay}"
        save_probe(est, path, extra={"layer": lay, "key": key, "target": target.name,
                                     "acts": str(acts.root), "model": acts.manifest.model,
                                     "cv_accuracy": float(best["accuracy"])})
        saved.append(path)
    return saved
