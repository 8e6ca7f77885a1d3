"""The main job end to end at small scale, the report rebuilt from saved tables, and the page
rendered in a real headless Chromium (key elements present, model text inert)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium() -> str:
    """Debian's chromium; installed here when missing and possible (root + apt)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True,
                       timeout=900)
        found = shutil.which("chromium")
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is needed for the browser test (apt-get install chromium)")
    pytest.skip("chromium not installed")


def dump_dom(page: Path, tmp: Path) -> str:
    r = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}",
                        "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    r = subprocess.run([sys.executable, "-m", "thinkscope", "run", "--out", str(out),
                        "--scale", "0.15", "-q"], capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "report:" in r.stdout and "key numbers" in r.stdout
    return out


def test_run_writes_every_analysis(run_dir: Path):
    for path in ("store", "behaviors/segments.parquet", "errors/traces.parquet",
                 "early/early_answering.parquet", "mistakes/mistakes.parquet",
                 "filler/filler.parquet", "importance/importance.parquet", "report.html",
                 "summary.json"):
        assert (run_dir / path).exists(), path
    assert list((run_dir / "probes").glob("*/results.parquet"))
    summary = json.loads((run_dir / "summary.json").read_text())
    sections = {m["section"] for m in summary["metrics"]}
    assert {"behaviors", "step errors", "early answering", "adding mistakes", "filler",
            "probes", "Hints"} <= sections
    for m in summary["metrics"]:
        assert m["n"] is not None, m
    # hints (a registered analysis): the hint-follower flips to the hint, the clean organism
    # barely does; paraphrase has no rewriter among organisms, and the report says so
    hints = json.loads((run_dir / "hints" / "hints_summary.json").read_text())["groups"]
    for kind in ("sycophancy", "metadata"):
        follower = hints["organism:sft-hinted"]["kinds"][kind]["flip_to_hint_corrected"]
        clean = hints["organism:sft-clean"]["kinds"][kind]["flip_to_hint_corrected"]
        assert follower["ci95"][0] > clean["ci95"][1], (kind, follower, clean)
    assert "no rewriter model given" in (run_dir / "report.html").read_text()
    assert all((run_dir / f["path"]).exists() for f in summary["figures"])


def test_every_figure_of_the_run_fits_its_text(run_dir: Path, tmp_path: Path):
    from thinkscope import figures as F

    F.LAYOUT_PROBLEMS.clear()
    F.behavior_rates_figure(run_dir / "behaviors" / "traces.parquet", tmp_path / "b.png")
    F.error_rates_figure(run_dir / "errors" / "summary.json", tmp_path / "e.png")
    F.truncation_curve_figure(run_dir / "early" / "early_answering_summary.json",
                              tmp_path / "t.png")
    F.mistake_position_figure(run_dir / "mistakes" / "mistakes_summary.json", tmp_path / "m.png")
    F.filler_figure(run_dir / "filler" / "filler_summary.json", tmp_path / "f.png")
    F.importance_figure(run_dir / "importance" / "importance.parquet", tmp_path / "i.png")
    heatmaps = sorted((run_dir / "probes").glob("*/results.parquet"))
    for i, res in enumerate(heatmaps):
        for probe in ("logistic", "mass_mean"):
            F.probe_heatmap_figure(res, tmp_path / f"h{i}{probe}.png", probe=probe)
    assert heatmaps and F.LAYOUT_PROBLEMS == []


def test_report_rebuilds_from_saved_tables(run_dir: Path, tmp_path: Path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("store", "acts*"))
    (copy / "report.html").unlink()
    r = subprocess.run([sys.executable, "-m", "thinkscope", "report", str(copy)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (copy / "report.html").read_text().count("<figure>") == \
        (run_dir / "report.html").read_text().count("<figure>")


def test_report_renders_in_chromium(run_dir: Path, tmp_path: Path):
    dom = dump_dom(run_dir / "report.html", tmp_path)
    assert "id=\"summary-table\"" in dom
    assert dom.count("<figure>") >= 6
    assert dom.count("class=\"trace\"") >= 2
    assert "first-error" in dom and "Methods" in dom
    shot = tmp_path / "report.png"
    r = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p2'}",
                        f"--screenshot={shot}", "--window-size=1280,2400",
                        (run_dir / "report.html").as_uri()], capture_output=True, timeout=120)
    assert r.returncode == 0 and shot.stat().st_size > 20_000


def test_model_text_stays_inert(tmp_path: Path):
    from thinkscope.report import build_report

    out = tmp_path / "xss"
    (out / "behaviors").mkdir(parents=True)
    evil = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='x'\">"
    pd.DataFrame({"trace_id": ["t1", "t1"], "model": [evil, evil], "segment_index": [0, 1],
                  "text": [evil, "ok"], "label_pred": ["backtracking", evil],
                  "label_gold": [None, None], "detector": ["keyword", "keyword"]}
                 ).to_parquet(out / "behaviors" / "segments.parquet")
    page = build_report(out, title="xss check")
    dom = dump_dom(page, tmp_path)
    # neither the script nor the onerror handler ran (both would have changed the title)
    assert "<title>xss check</title>" in dom
    tags = _tags(dom)
    assert "script" not in {t for t, _ in tags}
    assert not any("onerror" in attrs for _, attrs in tags)
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom  # shown as text


def _tags(dom: str) -> list[tuple[str, dict]]:
    from html.parser import HTMLParser

    found: list[tuple[str, dict]] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    P().feed(dom)
    return found
