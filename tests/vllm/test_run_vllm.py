"""``thinkscope run --backend vllm`` drives the whole pipeline: generation and every analysis
that generates (early answering, mistakes, filler, importance, hints) go through vLLM; probes read
hidden states through transformers. Runs the CLI as a user would, in its own process (vLLM
spawns its engine from there)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from thinkscope.traces import TraceStore

PLAN = """\
preset: real
model: organism:sft-clean
corpus: modarith
limit: 24
importance_traces: 2
steer: false
probes: []
analyses:
  - name: hints
    params: {problems: 6, samples: 2, kinds: [sycophancy]}
"""


def test_run_backend_vllm_writes_the_report(tmp_path: Path):
    pytest.importorskip("vllm", reason="vllm is not installed (tox -e vllm installs it)")
    (tmp_path / "plan.yaml").write_text(PLAN)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "thinkscope", "run", "--config",
                           str(tmp_path / "plan.yaml"), "--backend", "vllm", "--out", str(out),
                           "-q"], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    traces = list(TraceStore(out / "store").iter_traces())
    assert len([t for t in traces if t.perturbation is None]) == 24
    assert {t.backend for t in traces if t.perturbation is None} == {"vllm"}
    summary = json.loads((out / "summary.json").read_text())
    sections = {m["section"] for m in summary["metrics"] if m["n"]}
    for s in ("early answering", "adding mistakes", "filler", "importance", "Hints"):
        assert s in sections, (s, sorted(sections))
    aoc = next(m for m in summary["metrics"] if m["metric"].startswith("AOC"))
    assert aoc["n"] >= 20 and aoc["lo"] <= aoc["value"] <= aoc["hi"]
    assert (out / "report.html").stat().st_size > 10_000
