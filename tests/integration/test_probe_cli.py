"""``thinkscope probe extract|train|steer`` end to end on an organism's stored traces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thinkscope", *args], capture_output=True,
                          text=True, timeout=900)


def test_extract_train_steer(tmp_path: Path):
    store, acts, rand, out = (tmp_path / x for x in ("store", "acts", "rand", "out"))
    r = cli("generate", "--model", "organism:sft-clean", "--corpus", "modarith", "--limit", "600",
            "--store", str(store), "-q")
    assert r.returncode == 0, r.stderr
    common = ["--model", "organism:sft-clean", "--store", str(store), "--positions", "cot",
              "--layers", "0,2,3", "--min-k", "2", "--max-k", "3", "-q"]
    r = cli("probe", "extract", *common, "--out", str(acts))
    assert r.returncode == 0, r.stderr
    assert "positions from" in r.stdout
    r = cli("probe", "extract", *common, "--out", str(rand), "--random-init", "0")
    assert r.returncode == 0, r.stderr
    r = cli("probe", "train", "--acts", str(acts), "--target", "intermediate_1", "--out",
            str(out), "--keys", "cot3", "--random-acts", str(rand), "--c", "0.1", "-q")
    assert r.returncode == 0, r.stderr
    assert "selectivity" in r.stdout and "random-init" in r.stdout
    res = pd.read_parquet(out / "results.parquet")
    assert {"task", "control", "shuffled", "majority", "random_init", "text_only"} <= \
        set(res["condition"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["logistic_C"] == 0.1
    best = summary["probes"]["logistic"]["cot3"]
    assert best["task"]["accuracy"] > best["random_init"]["accuracy"] + 0.2
    assert (out / "heatmap_logistic.png").stat().st_size > 5000
    probe = next((out / "probes").glob("mass_mean_*.json"))
    r = cli("probe", "steer", "--model", "organism:sft-clean", "--store", str(store), "--probe",
            str(probe), "--class", "3", "--out", str(tmp_path / "steer"), "--limit", "60",
            "--n-random", "3", "--min-k", "2", "--max-k", "3", "-q")
    assert r.returncode == 0, r.stderr
    steer = json.loads((tmp_path / "steer" / "summary.json").read_text())
    assert steer["probe"]["n"] == 60 and steer["random"]["n"] == 180
    r = cli("probe", "steer", "--model", "organism:sft-clean", "--store", str(store), "--probe",
            str(probe), "--out", str(tmp_path / "s2"), "-q")
    assert r.returncode == 2 and "--class" in r.stderr
