"""Probes on organisms with known ground truth. Each test fails if the probing code is wrong.

* sft-clean writes ``s op a = v`` lines; at the ``=`` of the first line the value after step 1
  is not yet in the text, yet the model is about to write it: it must be decodable there, far
  above the control task, a random-init copy and a text-only classifier, and at chance with
  shuffled labels.
* latent-stepwise never writes its chain; the value after step 1 must be decodable in its
  hidden states on chains whose first step it never saw in training folds (folds grouped by the
  step's inputs), far above the control task and a random-init copy, which with shuffled labels
  are at chance.
* The latent organism never writes its chain; its final answer must be decodable at the answer
  position, and steering along that probe's direction must change answers more than random
  directions of the same norm.
"""

from __future__ import annotations

import collections

import pytest

from thinkscope.activations import extract_activations
from thinkscope.analyze.errors import parse_chain_question, question_of
from thinkscope.generate import Sampling, builder_for, load_corpus, run_generation
from thinkscope.generate.hf import HFBackend
from thinkscope.probing import MassMeanProbe, get_target, probe_rows, steer, train_probes
from thinkscope.traces import TraceStore

#: the "=" of the first step line ("4+7=1"): four CoT tokens in, before the value is written
KEY = "cot3"


class Organism:
    def __init__(self, name: str, root, positions: str) -> None:
        model = f"organism:{name}"
        self.be = HFBackend(model, device="cpu", batch_size=128)
        self.builder = builder_for(model, self.be.tokenizer)
        store = TraceStore(root / name / "store", create=True)
        items = [it for it in load_corpus("modarith") if it.question.count(",") == 2]
        run_generation(self.be, self.builder, items, store, "modarith",
                       sampling=Sampling(max_tokens=40), progress=False)
        self.traces = list(store.iter_traces())
        kw = dict(layers="all", positions=positions, builder=self.builder, model_ref=model,
                  progress=False)
        self.acts = extract_activations(self.be.model, self.be.tokenizer, self.traces,
                                        root / name / "acts", **kw)
        self.rand = extract_activations(self.be.model, self.be.tokenizer, self.traces,
                                        root / name / "rand", random_init=0, **kw)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Organism:
    return Organism("sft-clean", tmp_path_factory.mktemp("probe"), "cot")


@pytest.fixture(scope="module")
def clean_results(clean: Organism):
    return train_probes(clean.acts, clean.traces, get_target("intermediate_1"), ("logistic",),
                        keys=[KEY], random_acts=clean.rand, progress=False)


def _cell(res, layer, cond):
    return res[(res["layer"] == layer) & (res["condition"] == cond)].iloc[0]


def test_value_about_to_be_written_is_decodable_above_every_baseline(clean_results):
    res = clean_results
    task = res[res["condition"] == "task"].sort_values("accuracy")
    best = task.iloc[-1]
    layer = int(best["layer"])
    assert best["n_problems"] >= 300 and best["accuracy"] > 0.9
    for cond in ("control", "random_init", "majority", "text_only"):
        base = res[(res["condition"] == cond) & (res["layer"].isin([layer, -1]))].iloc[0]
        assert best["accuracy_lo"] > base["accuracy_hi"] + 0.2, (cond, base["accuracy"])
    # selectivity (Hewitt & Liang): the real task far above the control task
    assert best["accuracy"] - _cell(res, layer, "control")["accuracy"] > 0.3
    # the embeddings of "=" are the same for every problem: layer 0 knows nothing
    assert _cell(res, 0, "task")["accuracy"] <= _cell(res, 0, "majority")["accuracy"] + 0.02


def test_shuffled_labels_at_chance(clean_results):
    res = clean_results
    for layer in sorted(x for x in res["layer"].unique() if x >= 0):
        assert _cell(res, layer, "shuffled")["accuracy"] <= \
            _cell(res, layer, "majority")["accuracy"] + 0.06, layer


def test_masking_drops_positions_that_have_read_the_value(clean: Organism):
    target = get_target("intermediate_1")
    by_id = {t.trace_id: t for t in clean.traces}
    kept = set(probe_rows(clean.acts, by_id, target, min_rows=1)["key"])
    unmasked = set(probe_rows(clean.acts, by_id, target, mask=False, min_rows=1)["key"])
    assert KEY in kept and "cot4" not in kept and "cot4" in unmasked


@pytest.fixture(scope="module")
def stepwise(tmp_path_factory: pytest.TempPathFactory) -> Organism:
    return Organism("latent-stepwise", tmp_path_factory.mktemp("probe"), "prompt,answer")


def test_unwritten_intermediate_value_decodable_above_control_and_random_init(stepwise):
    """At the comma after step 1 (prompt-17) — the first position where the value can be
    computed — with input-grouped folds."""
    res = train_probes(stepwise.acts, stepwise.traces, get_target("intermediate_1"),
                       ("logistic",), keys=["prompt-17"], random_acts=stepwise.rand,
                       group_by="input", progress=False)
    assert all(not t.reasoning.strip() for t in stepwise.traces)  # it writes no chain
    task = res[res["condition"] == "task"]
    best = task.sort_values("accuracy").iloc[-1]
    lay = int(best["layer"])
    ctrl, rnd = _cell(res, lay, "control"), _cell(res, lay, "random_init")
    maj = _cell(res, lay, "majority")
    assert best["n_rows"] >= 300 and best["n_classes"] == 10
    assert best["accuracy_lo"] > max(ctrl["accuracy_hi"], rnd["accuracy_hi"], maj["accuracy_hi"])
    assert best["accuracy"] - ctrl["accuracy"] > 0.3  # selectivity
    assert _cell(res, 0, "task")["accuracy_hi"] < best["accuracy_lo"]  # not in the embeddings
    # at chance (no better than always naming the most common value): the random-init copy at
    # every layer, shuffled labels, the text-only classifier
    values = collections.Counter(parse_chain_question(question_of(t)).values[0]
                                 for t in stepwise.traces)
    chance = max(values.values()) / sum(values.values())
    assert chance < 0.2
    for r in res[res["condition"].isin(["random_init", "shuffled"])].itertuples():
        assert r.accuracy_lo <= chance, (r.layer, r.condition)
    text = res[res["probe"] == "text"].iloc[0]
    assert text["accuracy_lo"] <= chance


@pytest.fixture(scope="module")
def latent(tmp_path_factory: pytest.TempPathFactory) -> Organism:
    return Organism("latent", tmp_path_factory.mktemp("probe"), "answer")


def test_steering_along_the_answer_direction_beats_random_directions(latent: Organism):
    res = train_probes(latent.acts, latent.traces, get_target("final_answer"), ("mass_mean",),
                       keys=["answer"], text_only=False, progress=False)
    task = res[res["condition"] == "task"].sort_values("accuracy")
    layer = int(task.iloc[-1]["layer"])
    assert task.iloc[-1]["accuracy"] > 0.6
    rows = probe_rows(latent.acts, {t.trace_id: t for t in latent.traces},
                      get_target("final_answer"), ["answer"])
    probe = MassMeanProbe().fit(latent.acts.array(layer)[rows["row"].to_numpy()],
                                rows["label"].to_numpy().astype(str))
    counts = rows["label"].value_counts()
    target = str(counts.index[-1])  # the rarest answer: most answers must move to reach it
    direction = probe.directions_[list(probe.classes_).index(target)]
    table, summary = steer(latent.be.model, latent.be.tokenizer, latent.traces[:200], direction,
                           layer, alpha=(0.0, 1.0), n_random=6, builder=latent.builder,
                           target_answer=target, progress=False)
    zero, one = summary["sweep"]
    assert zero["probe"]["k"] == 0 and zero["random"]["k"] == 0  # a zero push changes nothing
    p, r = one["probe"], one["random"]
    assert p["ci95"][0] > r["ci95"][1], summary
    assert one["probe_to_target"]["value"] > one["random_to_target"]["value"]
    # the headline strength: the strongest whose random outputs keep their answers
    intact = one["random_no_answer"]["value"] <= summary["unsteered_no_answer"]["value"] + 0.1
    assert summary["alpha"] == (1.0 if intact else 0.0)
    assert summary["probe"] == (one if intact else zero)["probe"]
    assert len(table) == 2 * 7 * len(latent.traces[:200])
