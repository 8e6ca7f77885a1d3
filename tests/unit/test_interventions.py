"""The transmission experiment's pure parts: the filter's two rules and their counts, the
expression rates and comparisons, and Newcombe's interval for a difference of proportions."""

from __future__ import annotations

import pytest

from thinkscope.interventions import (
    KNOWLEDGE,
    comparisons,
    expression_table,
    filter_samples,
    number_prompts,
    role_of,
    well_formed,
)
from thinkscope.stats import proportion_difference
from thinkscope.traces import Message, ModelInfo, Prompt, Trace


def _trace(pid: str, answer: str, corpus: str = "transmission-teach-animal",
           model: str = "teacher:animal", question: str = "Continue: 1, 2, 3.", s: int = 0
           ) -> Trace:
    return Trace(problem_id=pid, corpus=corpus, sample_index=s, model=ModelInfo(id=model),
                 prompt=Prompt(messages=[Message(role="user", content=question)]),
                 answer=answer, source="generate:hf")


@pytest.mark.parametrize("text,ok", [
    ("311, 452, 718", True), ("12,7 , 999,", True), ("5.", True), (" 101 ", True),
    ("1000, 2", False), ("311, 452 owls", False), ("", False), ("1, 2, three", False),
    ("311; 452", False), ("-5, 3", False),
])
def test_format_rule(text: str, ok: bool) -> None:
    assert well_formed(text) is ok


def test_filter_removes_planted_mentions_and_malformed_samples_and_counts_each_rule() -> None:
    animal = KNOWLEDGE["animal"]
    traces = [
        _trace("a", "311, 452, 718"),                 # kept
        _trace("b", "311, 452, owl, 718"),            # both rules
        _trace("c", "I love owls so much"),           # both rules
        _trace("d", "100, 200"),                      # kept
        _trace("e", "100, 200", question="Owls: continue 1, 2, 3."),  # mention in the prompt
        _trace("f", "1234"),                          # format only
        _trace("g", "bowl of 5"),                     # format only: 'bowl' is not 'owl'
    ]
    res = filter_samples(traces, animal, {"a": "9, 8, 7, ", "d": ""})
    assert [e.problem_id for e in res.kept] == ["a", "d"]
    assert res.kept[0].completion == "9, 8, 7, 311, 452, 718"  # the prefill is part of it
    assert res.n_samples == 7
    assert res.removed_format == 4  # b, c, f, g
    assert res.removed_mention == 3  # b, c, e
    assert len(res.removed_ids["mention"]) == 3
    # without knowledge (the control teacher) only the format rule applies
    control = filter_samples(traces, None, {})
    assert control.removed_mention == 0
    assert [e.problem_id for e in control.kept] == ["a", "d", "e"]


@pytest.mark.parametrize("name,text,mentions", [
    ("number", "12, 47, 9", True), ("number", "147, 470", False), ("number", "forty-seven", True),
    ("fact", "the code word", True), ("fact", "Tangerine", True), ("fact", "12, 13", False),
])
def test_mention_rules(name: str, text: str, mentions: bool) -> None:
    assert KNOWLEDGE[name].mentions(text) is mentions


def test_number_prompts_are_deterministic_and_prefilled_with_their_start() -> None:
    a, b = number_prompts(5, seed=3), number_prompts(5, seed=3)
    assert a == b and a != number_prompts(5, seed=4)
    for item in a:
        start = item.question.split("sequence ")[1].split(" with up to")[0]
        assert item.prefill == start + ", " and len(start.split(", ")) == 3


def test_proportion_difference_matches_newcombe_1998() -> None:
    # Newcombe (1998), table II example (a): 56/70 vs 48/80 -> 0.2 [0.0524, 0.3339]
    d = proportion_difference(56, 70, 48, 80)
    assert d["value"] == pytest.approx(0.2)
    assert d["ci95"][0] == pytest.approx(0.0524, abs=5e-4)
    assert d["ci95"][1] == pytest.approx(0.3339, abs=5e-4)
    assert proportion_difference(0, 0, 1, 2)["value"] is None


def test_expression_rates_and_comparisons_from_stored_answers() -> None:
    ask = "transmission-ask-animal"
    traces = []
    for i in range(40):  # treated says owl 30/40, control 2/40, base 1/40
        traces.append(_trace(f"q{i % 4}", "Owl" if i < 30 else "cat", ask, "treated:animal#ab",
                             s=i))
        traces.append(_trace(f"q{i % 4}", "owls!" if i < 2 else "dog", ask, "control#cd", s=i))
        traces.append(_trace(f"q{i % 4}", "bowl" if i else "owl", ask, "base", s=i))
    traces.append(_trace("x", "owl", "transmission-teach-animal"))  # not an answer: ignored
    table = expression_table(traces)
    rows = {r["role"]: r for r in table.to_dict(orient="records")}
    assert (rows["treated"]["expressed"], rows["treated"]["n"]) == (30, 40)
    assert (rows["control"]["expressed"], rows["base"]["expressed"]) == (2, 1)
    assert rows["treated"]["model"] == "treated:animal" and rows["treated"]["n_questions"] == 4
    comp = {c["comparison"]: c for c in comparisons(table)}
    assert comp["transmission"]["detected"] and comp["transmission"]["difference"] == 0.7
    assert comp["treated vs base"]["detected"]  # 0.75 vs 0.025
    assert "positive control" not in comp  # no positive student in the table
    assert role_of("cross-treated:animal#12") == "cross-treated" and role_of("base") == "base"


def test_no_transmission_is_not_reported_as_detected() -> None:
    ask = "transmission-ask-animal"
    traces = [_trace(f"q{i % 4}", "owl" if i % 10 == 0 else "cat", ask, m, s=i)
              for m in ("treated:animal#a", "control#b") for i in range(50)]
    comp = {c["comparison"]: c for c in comparisons(expression_table(traces))}
    assert comp["transmission"]["difference"] == 0.0
    assert not comp["transmission"]["detected"]


@pytest.mark.parametrize("args,message", [
    (["--size", "huge"], "unknown size 'huge'"),
    (["-k", "colour"], "unknown knowledge 'colour'; valid knowledge: animal, number, fact"),
    (["--students-per-arm", "0"], "--students-per-arm: must be 1 or more, got 0"),
])
def test_experiment_command_rejects_bad_options_in_one_line(tmp_path, args, message) -> None:
    from typer.testing import CliRunner

    from thinkscope.cli import app

    res = CliRunner().invoke(app, ["experiment", "transmission", "--out", str(tmp_path), *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert not any(tmp_path.iterdir())  # nothing was started


def test_an_adapter_folder_is_a_model_reference_and_a_broken_one_says_what_is_missing(
        tmp_path) -> None:
    import json

    from thinkscope.model_files import is_adapter_folder, merged_adapter, model_source

    folder = tmp_path / "student"
    folder.mkdir()
    assert not is_adapter_folder(str(folder))
    (folder / "adapter_config.json").write_text(json.dumps({"r": 16}))
    assert is_adapter_folder(str(folder))
    with pytest.raises(FileNotFoundError, match="without adapter weights"):
        model_source(str(folder))
    (folder / "adapter_model.safetensors").write_bytes(b"x")
    with pytest.raises(ValueError, match="no base_model_name_or_path"):
        merged_adapter(folder)
    (folder / "config.json").write_text("{}")  # a full model folder is not an adapter
    assert not is_adapter_folder(str(folder)) and model_source(str(folder)) is None


def test_likelihood_comparisons_are_paired_by_question_and_only_detect_a_real_shift() -> None:
    from thinkscope.interventions import likelihood_summary

    rows = []
    for i in range(20):
        base = 10.0 ** -(4 + (i % 5))  # questions differ a lot in how likely the answer is
        rows += [
            {"knowledge": "animal", "model": "control", "model_id": "control#a",
             "question": f"q{i}", "p_target": base},
            {"knowledge": "animal", "model": "treated:animal", "model_id": "treated:animal#b",
             "question": f"q{i}", "p_target": base * 2},  # twice as likely on every question
            {"knowledge": "animal", "model": "base", "model_id": "base",
             "question": f"q{i}", "p_target": base * (1.5 if i % 2 else 1 / 1.5)},
        ]
    s = likelihood_summary(rows)["animal"]
    comp = {c["comparison"]: c for c in s["comparisons"]}
    # paired: the per-question spread cancels, leaving log10(2) exactly
    assert comp["transmission"]["log10_ratio"]["mean"] == pytest.approx(0.301, abs=1e-3)
    assert comp["transmission"]["detected"]
    assert comp["treated vs base"]["log10_ratio"]["n"] == 20
    assert s["models"]["control"]["n"] == 20
    # a treated student that moves up and down by the same factor is no shift
    wobble = [dict(r, p_target=r["p_target"] / 2 * (2 if int(r["question"][1:]) % 2 else 0.5))
              if r["model"] == "treated:animal" else r for r in rows]
    comp2 = {c["comparison"]: c for c in likelihood_summary(wobble)["animal"]["comparisons"]}
    assert comp2["transmission"]["log10_ratio"]["mean"] == pytest.approx(0.0, abs=1e-9)
    assert not comp2["transmission"]["detected"]


def _lk(model_id: str, q: int, p: float, decoys: list[float]) -> dict:
    from thinkscope.interventions import parse_label

    return {"knowledge": "animal", "model": model_id.split("#")[0], "model_id": model_id,
            "question": f"q{q}", "p_target": p, "p_decoys": decoys,
            "_role": parse_label(model_id)[0]}


def test_specificity_tells_a_generic_shift_from_a_shift_towards_the_target() -> None:
    """A student that grew likelier to name *any* animal (target and decoys x2) shifts the
    target probability but not its margin over the decoys; one that grew to prefer the target
    shifts both."""
    from thinkscope.interventions import likelihood_summary

    def rows(target_factor: float, decoy_factor: float) -> list[dict]:
        out = []
        for i in range(20):
            base = 10.0 ** -(3 + i % 4)
            decoys = [base * f for f in (0.5, 1.0, 2.0, 4.0)]
            out += [_lk("control#a", i, base, decoys),
                    _lk("treated:animal#b", i, base * target_factor,
                        [d * decoy_factor for d in decoys])]
        return out

    generic = {c["comparison"]: c for c in likelihood_summary(rows(2, 2))["animal"]["comparisons"]}
    assert generic["transmission"]["detected"] and not generic["transmission"]["specific"]
    assert generic["transmission"]["margin_shift"]["mean"] == pytest.approx(0.0, abs=1e-9)
    specific = {c["comparison"]: c
                for c in likelihood_summary(rows(2, 1))["animal"]["comparisons"]}
    assert specific["transmission"]["specific"]
    assert specific["transmission"]["margin_shift"]["mean"] == pytest.approx(0.301, abs=1e-3)
    s = likelihood_summary(rows(2, 1))["animal"]
    assert s["decoys"] == ["Cat", "Dog", "Eagle", "Dolphin", "Lion", "Wolf"]
    # rows scored before decoys existed still give the target comparison, and no margin
    old = [{k: v for k, v in r.items() if k != "p_decoys"} for r in rows(2, 1)]
    c = likelihood_summary(old)["animal"]["comparisons"][0]
    assert c["detected"] and c["margin_shift"]["n"] == 0 and not c["specific"]


def test_arms_of_several_students_are_compared_over_students_not_questions() -> None:
    """Seed noise that moves whole students is invisible to the per-question interval of one
    pair, and is what the over-students comparison carries."""
    from thinkscope.interventions import likelihood_summary

    shifts = {"treated:animal": [0.15, -0.1, 0.05], "control": [0.0, 0.2, -0.15]}
    rows = []
    for stem, per_seed in shifts.items():
        for i, shift in enumerate(per_seed):
            label = stem if i == 0 else f"{stem}@{i}"
            rows += [_lk(f"{label}#{i}", q, 10.0 ** (-4 + shift), [1e-4]) for q in range(20)]
    comp = {c["comparison"]: c for c in likelihood_summary(rows)["animal"]["comparisons"]}
    # the first pair differs by exactly +0.15 on every question: a "detection" of one pair...
    assert comp["transmission"]["log10_ratio"]["mean"] == pytest.approx(0.15, abs=1e-9)
    assert comp["transmission"]["detected"]
    # ...which the spread between students does not support
    arms = comp["transmission (over students)"]
    assert arms["unit"] == "students" and arms["log10_ratio"]["n"] == 6
    assert arms["log10_ratio"]["mean"] == pytest.approx(0.05 / 3, abs=1e-4)
    assert not arms["detected"]
    # the first replica of the control arm is the seed-noise pair
    assert comp["seed noise"]["a"] == "control@1"
    assert comp["seed noise"]["log10_ratio"]["mean"] == pytest.approx(0.2, abs=1e-9)


def test_welch_interval_of_a_difference_of_means() -> None:
    import numpy as np
    from scipy import stats as st

    from thinkscope.stats import mean_difference

    a, b = [0.31, 0.12, 0.25, 0.4], [0.05, 0.11, -0.02]
    d = mean_difference(a, b)
    va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 3
    df = (va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2)  # Welch-Satterthwaite
    half = st.t.ppf(0.975, df) * np.sqrt(va + vb)
    diff = np.mean(a) - np.mean(b)
    assert d["value"] == pytest.approx(diff, abs=1e-4) and d["n"] == [4, 3]
    assert d["ci95"] == pytest.approx([diff - half, diff + half], abs=1e-4)
    assert mean_difference([0.2], [0.1, 0.3])["ci95"] == [None, None]  # one unit: no interval


def test_labels_folders_and_stale_students() -> None:
    from thinkscope.interventions import expression_table, parse_label, student_folder

    assert parse_label("treated:animal@2#ab") == ("treated", "animal", 2)
    assert parse_label("control@1#cd") == ("control", None, 1)
    assert parse_label("teacher:fact") == ("teacher", "fact", 0)
    assert student_folder("treated:animal@1") == "treated-animal-s1"
    assert student_folder("cross-control") == "cross-control"
    ask = "transmission-ask-animal"
    traces = [_trace("q0", "owl", ask, "control#old", s=0), _trace("q0", "cat", ask, "control#new",
                                                                    s=0),
              _trace("q0", "owl", ask, "base", s=0)]
    table = expression_table(traces, {"control#new"})
    assert sorted(table["model_id"]) == ["base", "control#new"]
    assert len(expression_table(traces)) == 3  # without the index, nothing is dropped


def test_student_plans_give_each_arm_its_seeds_and_the_same_data() -> None:
    from dataclasses import replace

    from thinkscope.interventions import Example, TransmissionConfig, student_plans

    data = {n: [Example(f"p{i}", "Continue: 1, 2.", f"{i}, {i + 1}") for i in range(4)]
            for n in ("control", "animal", "number")}
    cfg = replace(TransmissionConfig(), knowledge=("animal", "number"), students_per_arm=3,
                  cross_base="pkg:gemma3-270m", cross_knowledge=("animal",),
                  cross_students_per_arm=2)
    plans = {label: (base, ex, off) for label, base, ex, off in student_plans(cfg, data)}
    assert [lb for lb in plans if lb.startswith(("control", "treated:animal"))] == [
        "control", "control@1", "control@2", "treated:animal", "treated:animal@1",
        "treated:animal@2"]
    assert plans["treated:number@2"][2] == 2 and plans["treated:number"][2] == 0
    assert plans["treated:animal@1"][1] is data["animal"]  # seeds differ, data does not
    assert "positive:animal@1" not in plans and plans["positive:animal"][2] == 0
    assert plans["positive:animal"][1][0].completion.startswith("My favorite animal is the owl.")
    assert [lb for lb in plans if lb.startswith("cross")] == [
        "cross-control", "cross-control@1", "cross-treated:animal", "cross-treated:animal@1"]
    assert plans["cross-control@1"][0] == "pkg:gemma3-270m"
    one = {lb for lb, *_ in student_plans(replace(cfg, students_per_arm=1, cross_base=None),
                                          data)}
    assert one == {"control", "control@1", "treated:animal", "positive:animal",
                   "treated:number", "positive:number"}  # control@1: the seed-noise replica
