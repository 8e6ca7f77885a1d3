"""Every shipped organism loads as a standard HF model and its accuracy table still holds."""

import json

import pytest

from thinkscope.models import load_model
from thinkscope.organisms import (
    ORGANISMS,
    accuracy_by_k,
    heldout,
    organism_metadata,
    organism_path,
)
from thinkscope.organisms._eval import corrupted_chain_probe

#: Tolerance between the stored table and a re-measurement (float differences across CPUs can
#: flip a rare greedy argmax).
TOL = 0.02


@pytest.fixture(scope="module")
def tables() -> dict[str, dict]:
    out = {}
    problems = heldout()
    for name in ORGANISMS:
        loaded = load_model(f"organism:{name}", device="cpu")
        out[name] = {c["k"]: c for c in accuracy_by_k(loaded.model, loaded.tokenizer,
                                                       problems)["cells"]}
    return out


@pytest.mark.parametrize("name", list(ORGANISMS))
def test_shipped_and_table_holds(name, tables):
    path = organism_path(name)
    assert (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()
    config = json.loads((path / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    stored = {c["k"]: c for c in organism_metadata(name)["heldout_accuracy"]}
    got = tables[name]
    assert set(got) == set(stored)
    for k, cell in stored.items():
        assert got[k]["n"] == cell["n"]
        assert abs(got[k]["accuracy"] - cell["accuracy"]) <= TOL, (name, k)


def test_acceptance_sft_clean(tables):
    cell = tables["sft-clean"]["<=4"]
    assert cell["n"] >= 500 and cell["accuracy"] >= 0.95


def test_latent_above_chance_on_two_step_chains(tables):
    """Chance is 0.1. (Held-out one-step problems are facts the latent organism never saw
    stated, so k=1 is not asserted; see README.)"""
    assert tables["latent"][2]["n"] >= 300
    assert tables["latent"][2]["ci95"][0] > 0.15


def test_acceptance_rl_beats_its_starting_point(tables):
    """Greedy and sampled at T=1 (the temperature RL trained at), on the same held-out
    problems and seed, RL beats the cold-start checkpoint it started from."""
    from thinkscope.organisms._build import SAMPLED_EVAL_SEED

    problems = heldout()
    got = {}
    for name in ("rl-outcome", "sft-coldstart"):
        loaded = load_model(f"organism:{name}", device="cpu")
        got[name] = {c["k"]: c for c in accuracy_by_k(
            loaded.model, loaded.tokenizer, problems, temperature=1.0,
            seed=SAMPLED_EVAL_SEED)["cells"]}
    rl, start = got["rl-outcome"]["all"], got["sft-coldstart"]["all"]
    assert rl["n"] == start["n"] >= 1900
    assert rl["accuracy"] > start["accuracy"]
    assert rl["ci95"][0] > start["ci95"][1]  # the intervals do not overlap
    meta = organism_metadata("rl-outcome")
    stored_rl = {c["k"]: c for c in meta["heldout_accuracy_t1"]}["all"]
    stored_start = {c["k"]: c for c in meta["start_heldout_accuracy_t1"]}["all"]
    assert abs(stored_rl["accuracy"] - rl["accuracy"]) <= TOL
    assert abs(stored_start["accuracy"] - start["accuracy"]) <= TOL
    greedy_rl, greedy_start = tables["rl-outcome"]["all"], tables["sft-coldstart"]["all"]
    assert greedy_rl["ci95"][0] > greedy_start["ci95"][1]


def test_causal_and_decorative_chains_are_told_apart():
    """sft-clean reads its answer off the chain; sft-posthoc's answer, stated before the chain,
    ignores a corrupted chain."""
    problems = [p for p in heldout() if p.k in (2, 3)]
    clean = load_model("organism:sft-clean", device="cpu")
    posthoc = load_model("organism:sft-posthoc", device="cpu")
    c = corrupted_chain_probe(clean.model, clean.tokenizer, problems)
    d = corrupted_chain_probe(posthoc.model, posthoc.tokenizer, problems)
    assert c["n"] == d["n"] >= 700
    assert c["follows_chain"] > 0.9
    assert d["follows_chain"] < 0.3
    assert d["follows_ci95"][1] < c["follows_ci95"][0]
