"""The training code itself, on micro runs (the shipped organisms are tested elsewhere)."""

import json

import pytest
import torch

from thinkscope.models import load_model
from thinkscope.organisms import Problem, train_organism
from thinkscope.organisms._grpo import outcome_reward
from thinkscope.organisms._sft import ArchConfig, SFTConfig, make_batch, make_model, train_sft
from thinkscope.organisms._task import generate_problems, split
from thinkscope.organisms._tokenizer import build_tokenizer


def test_outcome_reward_reads_only_the_final_answer():
    comps = ["1+2=3\n</think>\nAnswer: 3", "1+2=9\n</think>\nAnswer: 3",
             "1+2=3\n</think>\nAnswer: 4", "1+2=3\n", "garbage"]
    assert outcome_reward(comps, ["3"] * 5) == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_batch_labels_cover_only_the_completion():
    import random

    tok = build_tokenizer()
    p = Problem(4, (("+", 7),))
    batch = make_batch(tok, [p], "clean", random.Random(0))
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    supervised = tok.decode(ids[labels != -100])
    assert supervised == "4+7=1\n</think>\nAnswer: 1<|end|>"


def test_internalisation_removes_one_more_written_step_per_stage():
    import random

    tok = build_tokenizer()
    p = Problem(4, (("+", 7), ("*", 3), ("-", 5)))  # 4+7=1, 1*3=3, 3-5=8
    supervised = []
    for stage in (1, 2, 3):
        batch = make_batch(tok, [p], "internalise", random.Random(0), stage)
        ids, labels = batch["input_ids"][0], batch["labels"][0]
        supervised.append(tok.decode(ids[labels != -100]))
    assert supervised == ["1*3=3\n3-5=8\n</think>\nAnswer: 8<|end|>",
                          "3-5=8\n</think>\nAnswer: 8<|end|>",
                          "</think>\nAnswer: 8<|end|>"]  # the last stage writes nothing


def test_sft_is_deterministic_and_learns():
    tok = build_tokenizer()
    problems = split(generate_problems(per_k=200, seed=0), "train")
    arch = ArchConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2)
    metas, params = [], []
    for _ in range(2):
        model = make_model(tok, arch, seed=0)
        metas.append(train_sft(model, tok, problems, SFTConfig(fmt="clean", steps=40, lr=3e-3,
                                                               warmup=5, batch_size=16),
                               progress=False))
        params.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(params[0], params[1])  # same seed, same weights
    # it learns: the loss falls well below where it started (~4.7, uniform over 105 tokens)
    assert metas[0]["initial_loss"] > 4.0
    assert metas[0]["final_loss"] < metas[0]["initial_loss"] - 0.8


def test_train_save_load_through_the_hub_code_path(tmp_path):
    meta = train_organism("sft-clean", out=tmp_path, steps=3, progress=False, evaluate=False)
    path = tmp_path / "sft-clean"
    assert json.loads((path / "organism.json").read_text())["organism"] == "sft-clean"
    assert meta["kind"] == "sft" and meta["config"]["steps"] == 3
    loaded = load_model(str(path), device="cpu")  # the same call a hub id goes through
    assert type(loaded.model).__name__ == "LlamaForCausalLM"
    assert loaded.model.dtype == torch.float32 and not loaded.model.training
    assert loaded.tokenizer.apply_chat_template(
        [{"role": "user", "content": "x"}], add_generation_prompt=True, tokenize=False
    ).endswith("<think>\n")


def test_grpo_runs_with_trl(tmp_path):
    pytest.importorskip("trl")
    train_organism("sft-coldstart", out=tmp_path, steps=2, progress=False, evaluate=False)
    meta = train_organism("rl-outcome", out=tmp_path, steps=2, progress=False, evaluate=False)
    assert meta["method"].startswith("grpo") and meta["init_from"] == "sft-coldstart"
    assert len(meta["reward_by_window"]) <= 1 and meta["config"]["steps"] == 2
    assert (tmp_path / "rl-outcome" / "model.safetensors").is_file()
