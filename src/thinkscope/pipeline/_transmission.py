"""``thinkscope experiment transmission``: the experiment's stages, then its analysis and the
report, all under one output folder (a rerun resumes where the last one stopped)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def _add_seconds(out: Path, seconds: dict[str, float]) -> dict[str, float]:
    """Stage times summed over every invocation (a resumed run adds to what it resumed)."""
    path = out / "stage_seconds.json"
    total = json.loads(path.read_text()) if path.is_file() else {}
    for k, v in seconds.items():
        total[k] = round(total.get(k, 0.0) + v, 1)
    path.write_text(json.dumps(total, indent=2) + "\n")
    return total


def run_transmission(cfg: Any, out: str | Path, progress: bool = True,
                     report: bool = True) -> dict[str, Any]:
    """Run (or resume) the experiment under ``out``; write ``out/transmission/`` (tables,
    summary, figure) and ``out/report.html``. Returns the analysis summary."""
    from ..analyze import run_analysis
    from ..interventions import ASK_PREFIX, run_stages
    from ..traces import TraceStore

    out = Path(out)
    t0 = time.perf_counter()
    record = run_stages(cfg, out, progress)
    _add_seconds(out, record["stage_seconds"])
    store = TraceStore(out / "store")
    traces = [t for name in cfg.knowledge
              for t in store.iter_traces(corpus=ASK_PREFIX + name)]
    t1 = time.perf_counter()
    summary = run_analysis("transmission", traces, out / "transmission",
                           params={"experiment": str(out)},
                           inputs={"config": record["config"],
                                   "examples_per_student": record["examples_per_student"],
                                   "store_state": store.state_id()})
    if report:
        from ..report import build_report

        build_report(out, title="thinkscope: transmission through training data")
    _add_seconds(out, {"analysis": time.perf_counter() - t1})
    summary["run_seconds"] = round(time.perf_counter() - t0, 1)
    return summary
