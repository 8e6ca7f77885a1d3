"""No figure clips its own text: titles, tick labels and legends fit inside the saved PNG, even
with long model ids, and the check itself catches a clipped title."""

import json

import pytest

from thinkscope import figures

LONG = ["deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B-reasoning-model",
        "organism:latent-stepwise", "pkg:smollm2-135m-instruct"]


def _ci(v, n=50):
    return {"value": v, "ci95": [max(0.0, v - 0.1), min(1.0, v + 0.1)], "n": n, "k": int(v * n),
            "numerator": int(v * n), "denominator": n}


@pytest.fixture(autouse=True)
def _clear():
    figures.LAYOUT_PROBLEMS.clear()
    yield
    figures.LAYOUT_PROBLEMS.clear()


def test_the_check_catches_a_clipped_title():
    plt = figures._pyplot()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("a title much too long for a figure three inches wide " * 3)
    assert figures.text_outside(fig)  # drawn as is, it is clipped
    assert figures.fit_texts(fig) == []  # wrapped and grown, it fits
    plt.close(fig)


def test_error_rates_with_long_model_ids(tmp_path):
    summary = {"groups": {m: {"step_error_rate": _ci(0.3), "n_traces": 50} for m in LONG}}
    (tmp_path / "s.json").write_text(json.dumps(summary))
    figures.error_rates_figure(tmp_path / "s.json", tmp_path / "e.png")
    assert figures.LAYOUT_PROBLEMS == []


def test_truncation_curves_with_long_model_ids(tmp_path):
    curve = [{"fraction": f, "same": _ci(f)} for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
    summary = {"groups": {m: {"curve": curve, "n_traces": 60,
                              "aoc": {"mean": 0.8517, "ci95": [0.8, 0.9], "n": 60}}
                          for m in LONG}}
    (tmp_path / "s.json").write_text(json.dumps(summary))
    figures.truncation_curve_figure(tmp_path / "s.json", tmp_path / "t.png")
    assert figures.LAYOUT_PROBLEMS == []


def test_labels_are_wrapped_never_cut():
    label = figures._short("organism:latent-stepwise", 20)
    assert label.replace("\n", "") == "organism:latent-stepwise"
    assert all(len(line) <= 20 for line in label.split("\n"))


def test_transmission_figure_with_the_specificity_row(tmp_path):
    import pandas as pd

    models = ["base", "control", "control@1", "treated:animal", "positive:animal",
              "cross-treated:animal"]
    rows = [{"knowledge": k, "model": m, "role": m.split("@")[0].split(":")[0], "rate": 0.1,
             "ci_low": 0.05, "ci_high": 0.2, "n": 100} for k in ("animal", "number")
            for m in models]
    pd.DataFrame(rows).to_parquet(tmp_path / "t.parquet")
    cell = {"mean": -0.4, "ci95": [-0.6, -0.2], "n": 20}
    likelihood = {"animal": {"models": {m: {"margin": cell} for m in models}},
                  "number": {"models": {m: {"margin": dict(cell, mean=None)} for m in models}}}
    figures.transmission_figure(tmp_path / "t.parquet", tmp_path / "t.png", likelihood)
    assert figures.LAYOUT_PROBLEMS == []
    plt = figures._pyplot()
    assert (tmp_path / "t.png").stat().st_size > 0 and plt.get_fignums() == []
