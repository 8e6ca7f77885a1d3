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

#: Organisms whose weights ship with the package.
SHIPPED = ["sft-clean", "sft-selfcorrect", "sft-posthoc", "sft-hinted", "sft-coldstart",
           "rl-outcome", "latent", "latent-stepwise", "filler"]

#: Tolerance between the stored table and a re-measurement (float differences across CPUs can
#: flip a rare greedy argmax).
TOL = 0.02


@pytest.fixture(scope="module")
def tables() -> dict[str, dict]:
    out = {}
    problems = heldout()
    for name in SHIPPED:
        loaded = load_model(f"organism:{name}", device="cpu")
        out[name] = {c["k"]: c for c in accuracy_by_k(loaded.model, loaded.tokenizer,
                                                       problems)["cells"]}
    return out


def test_shipped_set():
    from thinkscope.organisms._build import SHIPPED_DIR

    assert set(SHIPPED) <= set(ORGANISMS)
    # every registered organism ships: the char-level ones here, the real-base adapters in
    # tests/real_model/test_real_base_organisms.py
    char_level = sorted(n for n, s in ORGANISMS.items() if s.lora is None)
    assert char_level == sorted(SHIPPED)
    assert sorted(p.name for p in SHIPPED_DIR.iterdir() if p.is_dir()) == sorted(ORGANISMS)


@pytest.mark.parametrize("name", SHIPPED)
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
    # pooled over k <= 2 (the acceptance cell): well above chance
    from thinkscope.stats import wilson_interval

    k1, k2 = tables["latent"][1], tables["latent"][2]
    lo, _ = wilson_interval(k1["correct"] + k2["correct"], k1["n"] + k2["n"])
    assert k1["n"] + k2["n"] >= 400 and lo > 0.2


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


def test_organisms_cli():
    from typer.testing import CliRunner

    from thinkscope.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["organisms", "list"])
    assert res.exit_code == 0
    assert all(f"organism:{name}" in res.stdout for name in ORGANISMS)
    assert "not trained" not in res.stdout  # every organism ships
    res = runner.invoke(app, ["organisms", "eval", "sft-clean", "--n-per-k", "5", "--json"])
    assert res.exit_code == 0, res.output
    cells = {c["k"]: c for c in json.loads(res.stdout)["cells"]}
    assert cells["all"]["n"] == 30 and cells[1]["n"] == 5
    res = runner.invoke(app, ["organisms", "eval", "nope"])
    assert res.exit_code == 2 and "valid organisms" in res.stderr


def test_rl_outcome_beats_its_starting_point_at_its_training_temperature():
    """Outcome-reward GRPO raises the accuracy of what the policy samples (T = 1, the
    temperature it was trained at) over its SFT starting point, on all held-out chains."""
    from thinkscope.organisms._build import SAMPLED_EVAL_SEED

    problems = heldout()
    cells = {}
    for name in ("rl-outcome", "sft-coldstart"):
        loaded = load_model(f"organism:{name}", device="cpu")
        cells[name] = accuracy_by_k(loaded.model, loaded.tokenizer, problems, temperature=1.0,
                                    seed=SAMPLED_EVAL_SEED)["cells"][-1]
    rl, start = cells["rl-outcome"], cells["sft-coldstart"]
    assert rl["n"] == start["n"] == len(problems) >= 1900
    assert rl["ci95"][0] > start["ci95"][1], (rl, start)
