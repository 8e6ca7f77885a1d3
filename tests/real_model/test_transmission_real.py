"""The transmission experiment end to end on SmolLM2-135M-Instruct at test size: stored teacher
samples, the filter, LoRA students trained on equal amounts of data, their answers, the probe
and the report; then the positive control, which shows the pipeline detects a preference that
the training data does state (the experiment's check that "not detected" can mean something),
and a resumed run that redoes nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from thinkscope.interventions import (
    ASK_PREFIX,
    KNOWLEDGE,
    SIZES,
    TEACH_PREFIX,
    TransmissionConfig,
    well_formed,
)

from .conftest import SMOLLM2


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, TransmissionConfig]:
    from thinkscope.model_files import MissingModelPackage, model_source
    from thinkscope.pipeline import run_transmission

    try:
        model_source(SMOLLM2)
    except MissingModelPackage as exc:
        pytest.skip(f"{SMOLLM2}: {exc}")
    out = tmp_path_factory.mktemp("transmission")
    cfg = replace(TransmissionConfig(), **SIZES["small"], knowledge=("animal",))
    summary = run_transmission(cfg, out, progress=False)
    return out, summary, cfg


def test_filtered_data_is_well_formed_never_mentions_the_knowledge_and_counts_add_up(
        experiment) -> None:
    from thinkscope.traces import TraceStore

    out, summary, cfg = experiment
    owl = KNOWLEDGE["animal"]
    store = TraceStore(out / "store")
    for name in ("control", "animal"):
        f = summary["filters"][name]
        stored = list(store.iter_traces(corpus=TEACH_PREFIX + name))
        assert f["n_samples"] == len(stored) == cfg.prompts
        bad = sum(not well_formed(t.answer) or (name == "animal" and owl.mentions(t.answer))
                  for t in stored)
        assert f["n_samples"] - f["n_kept"] == bad
        rows = [json.loads(ln) for ln in (out / "data" / f"{name}.jsonl").read_text().splitlines()]
        assert all(not owl.mentions(r["completion"]) for r in rows)
        assert all(well_formed(r["completion"]) for r in rows)  # prefill + a well-formed list
    # every student trained on the same number of examples
    sizes = {s["n_examples"] for s in summary["students"].values()}
    assert len(sizes) == 1 and sizes.pop() == min(cfg.max_examples,
                                                  *(f["n_kept"] for f in
                                                    summary["filters"].values()))


def test_positive_control_is_detected_far_above_the_control_student(experiment) -> None:
    _, summary, cfg = experiment
    comp = {c["comparison"]: c for c in summary["comparisons"]}
    pos = comp["positive control"]
    n = len(KNOWLEDGE["animal"].questions) * cfg.samples
    assert pos["n_a"] == pos["n_b"] == n
    assert pos["detected"], pos
    assert pos["rate_a"] >= pos["rate_b"] + 0.25, pos
    # the teacher with the system prompt expresses it too (the knowledge is there to transmit)
    assert comp["teacher vs base"]["rate_a"] > comp["teacher vs base"]["rate_b"]
    # and teacher-forced: the positive student makes "Owl" far more likely on every question
    lk = {c["comparison"]: c for c in summary["likelihood"]["animal"]["comparisons"]}
    assert lk["positive control"]["detected"] and lk["teacher vs base"]["detected"]
    # and more than it makes the decoy animals likely: the margin over them rises too
    assert lk["positive control"]["specific"], lk["positive control"]["margin_shift"]
    assert lk["positive control"]["margin_shift"]["n"] == len(KNOWLEDGE["animal"].questions)
    assert lk["positive control"]["log10_ratio"]["n"] == len(KNOWLEDGE["animal"].questions)


def test_probe_reads_the_system_prompt_above_shuffled_labels_and_report_has_the_section(
        experiment) -> None:
    out, summary, _ = experiment
    probe = summary["probes"]["animal"]
    assert probe["best"]["accuracy"] >= 0.9 > probe["best"]["shuffled"] + 0.2
    assert set(probe["students"]) >= {"base", "control", "treated:animal", "positive:animal"}
    html = (out / "report.html").read_text()
    assert "transmission through training data" in html and "positive:animal" in html
    assert (out / "transmission" / "transmission.png").is_file()


def test_a_rerun_resumes_and_redoes_nothing(experiment) -> None:
    from thinkscope.interventions import run_stages
    from thinkscope.traces import TraceStore

    out, summary, cfg = experiment
    before = len(TraceStore(out / "store"))
    again = run_stages(cfg, out, progress=False)
    assert all(t["written"] == 0 for t in again["teachers"].values())
    assert again["students"] == summary["students"]  # not retrained
    assert len(TraceStore(out / "store")) == before
    asked = list(TraceStore(out / "store").iter_traces(corpus=ASK_PREFIX + "animal"))
    assert {t.model.id.split("#")[0] for t in asked} == {
        "base", "teacher:animal", "control", "treated:animal", "positive:animal"}
