"""``thinkscope run --config``: a plan file becomes the same Plan the presets build, overrides
apply, and every mistake in the file is one line naming the field."""

import json

import pytest
from typer.testing import CliRunner

from thinkscope.cli import app
from thinkscope.pipeline import (
    AnalysisStep,
    Pipeline,
    PlanError,
    check_plan,
    load_plan,
    organism_plan,
    real_plan,
)


def test_a_preset_with_overrides(tmp_path):
    f = tmp_path / "plan.yaml"
    f.write_text("preset: real\nmodel: pkg:smollm2-135m-instruct\nlimit: 30\nbackend: vllm\n"
                 "steer_alphas: [0.1, 0.2]\nanalyses:\n  - name: hints\n"
                 "    params: {problems: 5, kinds: [metadata]}\n  - paraphrase\n")
    plan = load_plan(f)
    base = real_plan("pkg:smollm2-135m-instruct", "gsm8k", 30)
    assert plan.traces == base.traces and plan.probes == base.probes
    assert plan.backend == "vllm" and plan.steer_alphas == (0.1, 0.2)
    assert plan.analyses == (AnalysisStep("hints", (), (("problems", 5),
                                                        ("kinds", ("metadata",)))),
                             AnalysisStep("paraphrase"))
    check_plan(plan)


def test_the_organism_preset_equals_the_default_and_hashes_alike(tmp_path):
    f = tmp_path / "plan.json"
    f.write_text(json.dumps({"preset": "organisms", "scale": 0.5}))
    plan = load_plan(f)
    assert plan == organism_plan(0.5)
    a = Pipeline(plan, tmp_path / "a", progress=False).plan_hash()
    b = Pipeline(organism_plan(0.5), tmp_path / "b", progress=False).plan_hash()
    assert a == b


@pytest.mark.parametrize("text,message", [
    ("preset: real\n", "preset real needs a model"),
    ("preset: nope\n", "preset must be one of organisms, real"),
    ("preset: organisms\nfaith_limt: 3\n", "unknown field 'faith_limt'"),
    ("preset: organisms\nfaith_limit: many\n", "faith_limit"),
    ("corpus: [unclosed\n", "not valid YAML"),
    ("- a list\n", "a plan is a mapping"),
])
def test_bad_plan_files_are_one_line_errors(tmp_path, text, message):
    f = tmp_path / "plan.yaml"
    f.write_text(text)
    with pytest.raises(PlanError, match=message) as err:
        load_plan(f)
    assert "\n" not in str(err.value) and str(f) in str(err.value)


def test_unknown_names_fail_before_any_work(tmp_path):
    f = tmp_path / "plan.yaml"
    f.write_text("preset: organisms\nanalyses: [{name: hintz}]\n")
    with pytest.raises(PlanError, match="unknown analysis 'hintz'; valid analyses: .*hints"):
        check_plan(load_plan(f))
    # a built-in step is chosen by its own plan field, not listed among the analyses
    f.write_text("preset: organisms\nanalyses: [{name: early}]\n")
    with pytest.raises(PlanError, match="analysis early is a built-in step"):
        check_plan(load_plan(f))
    f.write_text("preset: organisms\nanalyses: [{name: hints, params: {samples: 1}}]\n")
    with pytest.raises(PlanError, match="analysis hints: params.samples"):
        check_plan(load_plan(f))
    res = CliRunner().invoke(app, ["run", "--config", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "params.samples" in res.output
    assert not (tmp_path / "o" / "store").exists()
    g = tmp_path / "g.yaml"
    g.write_text("preset: organisms\n")
    res = CliRunner().invoke(app, ["run", "--config", str(g), "--backend", "tgi", "--out",
                                   str(tmp_path / "o")])
    assert res.exit_code == 2 and "unknown backend 'tgi'" in res.output
    assert not (tmp_path / "o" / "store").exists()
