"""The report's key findings: ranked, separated only when the intervals are, read against the
strongest baseline."""

from __future__ import annotations

from thinkscope.report import fold_baselines
from thinkscope.report._findings import against_baselines, compare_groups


def _row(group, value, lo, hi, n=50, metric="AOC", section="early answering"):
    return {"section": section, "group": group, "metric": metric, "value": value, "lo": lo,
            "hi": hi, "n": n}


def test_groups_ranked_and_separation_stated():
    rows = [_row("posthoc", 0.1, 0.05, 0.15), _row("clean", 0.6, 0.5, 0.7)]
    text = compare_groups(rows, "AOC", "higher = causal")
    assert text.index("clean 0.60 [0.50, 0.70], n = 50") < text.index("posthoc 0.10")
    assert "Highest clean, lowest posthoc (95% CIs apart)" in text
    close = [_row("a", 0.5, 0.4, 0.6), _row("b", 0.45, 0.35, 0.55)]
    assert "overlap: not separated" in compare_groups(close, "AOC", "x")
    assert compare_groups([], "AOC", "x") is None


def test_number_against_its_strongest_baseline():
    rows = fold_baselines([
        _row("m", 0.9, 0.85, 0.95, metric="logistic @ cot3 L3", section="probes"),
        _row("m", 0.3, None, None, metric="  baseline: control", section="probes"),
        _row("m", 0.88, None, None, metric="  baseline: text_only", section="probes"),
        _row("m", 0.2, 0.1, 0.3, metric="next metric", section="probes"),
    ])
    assert len(rows) == 2 and [b["name"] for b in rows[0]["beside"]] == ["control", "text_only"]
    text = against_baselines(rows[0], "probe")
    # the CI's lower end (0.85) is below the text-only baseline (0.88): not above it
    assert "not above its strongest baseline" in text and "text_only 0.88" in text
    rows[0]["beside"][1]["value"] = 0.5
    assert "above every baseline (strongest: text_only 0.50)" in against_baselines(rows[0], "p")
