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
    steers = sorted((run_dir / "probes").glob("*/steer_summary.json"))
    for i, st in enumerate(steers):
        F.steering_figure(st, tmp_path / f"s{i}.png")
    assert steers
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
    assert (copy / "report.html").read_text().count("<figure") == \
        (run_dir / "report.html").read_text().count("<figure")


def test_report_renders_in_chromium(run_dir: Path, tmp_path: Path):
    dom = dump_dom(run_dir / "report.html", tmp_path)
    assert "id=\"summary-table\"" in dom
    assert dom.count("<figure") >= 7  # steering included
    assert 'id="findings"' in dom and "Methods" in dom and 'id="toc"' in dom
    # the trace browser opened the first listed trace
    assert dom.count("class=\"trace\"") == 1 and "class=\"trace-row" in dom
    shot = tmp_path / "report.png"
    r = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p2'}",
                        f"--screenshot={shot}", "--window-size=1280,2400",
                        (run_dir / "report.html").as_uri()], capture_output=True, timeout=120)
    assert r.returncode == 0 and shot.stat().st_size > 20_000


def test_findings_are_sentences_with_n_and_baselines(run_dir: Path):
    said = json.loads((run_dir / "summary.json").read_text())["findings"]
    sections = {f["section"] for f in said}
    assert {"behaviors", "step errors", "early answering", "probes", "steering",
            "Hints"} <= sections, sections
    assert all("n = " in f["text"] for f in said), said
    early = next(f["text"] for f in said if f["section"] == "early answering")
    # the causal organism's CoT matters more than the post-hoc one's
    assert early.index("organism:sft-clean") < early.index("organism:sft-posthoc"), early
    probes = [f["text"] for f in said if f["section"] == "probes"]
    assert any("above every baseline" in t for t in probes), probes


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is needed for the browser test (pip install playwright)")
        pytest.skip("playwright not installed")
    exe = chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield b
        b.close()


def test_report_filters_sorts_and_browses_traces(run_dir: Path, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((run_dir / "report.html").as_uri())
    rows = page.locator("#summary-table tbody tr")
    total = rows.count()
    # filter the summary table by analysis
    page.select_option("#f-analysis", "early answering")
    shown = [r for r in rows.all() if r.is_visible()]
    assert 0 < len(shown) < total
    assert {r.get_attribute("data-analysis") for r in shown} == {"early answering"}
    assert page.inner_text("#summary-count").startswith(f"{len(shown)} of {total}")
    page.select_option("#f-analysis", "")
    page.fill("#f-text", "AOC")
    assert all("AOC" in r.locator("td").nth(2).inner_text() for r in rows.all()
               if r.is_visible())
    page.fill("#f-text", "")
    # sort by value, ascending then descending
    page.click("#summary-table th:nth-child(4)")
    vals = [float(v) for v in page.eval_on_selector_all(
        "#summary-table tbody tr td:nth-child(4)", "els => els.map(e => e.dataset.value)") if v]
    assert vals == sorted(vals) and len(vals) > 5
    page.click("#summary-table th:nth-child(4)")
    vals = [float(v) for v in page.eval_on_selector_all(
        "#summary-table tbody tr td:nth-child(4)", "els => els.map(e => e.dataset.value)") if v]
    assert vals == sorted(vals, reverse=True)
    # the trace browser: filter by model and by "has an error", open a trace
    models = page.eval_on_selector_all("#t-model option", "os => os.map(o => o.value)")[1:]
    assert "organism:sft-clean" in models and len(models) >= 3
    page.select_option("#t-model", "organism:rl-outcome")
    page.select_option("#t-error", "some")
    listed = page.locator("#trace-list tbody tr")
    assert listed.count() > 0
    for r in listed.all():
        cells = r.locator("td")
        assert cells.nth(0).inner_text() == "organism:rl-outcome"
        assert cells.nth(4).inner_text().startswith("step ")
    second = listed.nth(min(1, listed.count() - 1))
    tid = second.get_attribute("data-id")
    second.click()
    view = page.locator("#trace-view .trace")
    assert view.get_attribute("data-trace") == tid
    assert view.locator(".seg").count() > 0 and view.locator(".first-error").count() == 1
    text = view.inner_text()
    assert "question" in text and "gold answer" in text and "model's answer" in text
    assert f"open={tid}" in page.url
    # the address restores the view: a linked trace with truncation curves opens with its plot
    with_curve = page.evaluate(
        "JSON.parse(document.getElementById('trace-data').textContent).traces"
        ".find(t => t.early && t.early.length).id")
    page.goto((run_dir / "report.html").as_uri() + f"#traces&open={with_curve}")
    view = page.locator("#trace-view .trace")
    assert view.get_attribute("data-trace") == with_curve
    assert view.locator("svg").count() >= 1
    # the hint-follower's questions show their hint
    page.select_option("#t-model", "organism:sft-hinted")
    assert "metadata" in page.locator("#trace-view .trace").inner_text()
    assert errors == []


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
    # only the page's own two scripts (its data as inert JSON, its code), no injected ones
    scripts = [attrs for t, attrs in tags if t == "script"]
    assert len(scripts) == 2 and not any("src" in a for a in scripts), scripts
    assert {a.get("type") for a in scripts} == {"application/json", None}
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
