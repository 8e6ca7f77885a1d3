"""The analysis recipes run on the files in ../shared/data (and the seed-hypothesis recipe on
organism traces), each writing its report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def recipe(name: str, data: Path, out: Path) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([sys.executable, str(REPO / "analyses" / f"{name}.py"), "--data",
                        str(data), "--out", str(out)], capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "report.html").exists()
    return r


def test_rl_vs_instruct(shared_data: Path, tmp_path: Path):
    r = recipe("rl_vs_instruct", shared_data / "venhoff-dev", tmp_path)
    res = json.loads((tmp_path / "rl_vs_instruct.json").read_text())
    assert set(res["model_kinds"].values()) == {"rl", "instruct"}
    # the dev pair: the R1 distill backtracks more than its instruct counterpart, CIs apart
    assert any(v.startswith("classifier") and "higher, CIs apart" in v for v in res["verdicts"])
    assert "step errors" in r.stdout


def test_thought_anchors(shared_data: Path, tmp_path: Path):
    r = recipe("thought_anchors", shared_data / "thought-anchors-example", tmp_path)
    res = json.loads((tmp_path / "thought_anchors.json").read_text())
    tags = res["keyword"]["their_tags"]
    assert sum(c["n"] for c in tags.values()) >= 139 and "problem_setup" in tags
    assert sum(c["n"] for c in res["classifier"]["our_labels"].values()) == 139
    assert "by their function tags" in r.stdout


def test_seed_hypothesis_on_organisms(tmp_path: Path):
    r = recipe("seed_hypothesis", tmp_path / "store", tmp_path / "out")
    res = json.loads((tmp_path / "out" / "seed_hypothesis.json").read_text())
    # every metric of the longitudinal analysis, RL against its start (no SFT arm at char level)
    assert len(res["verdicts"]) == 7 and res["arms"]["sft"] is None
    for m in ("organism:rl-outcome", "organism:sft-coldstart"):
        assert res["models"][m]["n_traces"] == 200
        assert 150 <= res["models"][m]["accuracy"]["n"] <= 200  # the graded traces
        assert res["models"][m]["aoc"]["n"] > 0
    assert all("vs start" in v for v in res["verdicts"])
    assert (tmp_path / "out" / "seed_hypothesis.png").stat().st_size > 0
    assert "RL" in r.stdout
