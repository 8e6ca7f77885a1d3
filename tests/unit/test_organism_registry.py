"""The organism registry, the real-base organisms' prompt template and the organism card,
without loading a model."""

from __future__ import annotations

import pytest

from thinkscope.organisms import ORGANISMS, get_organism, heldout, organism_card
from thinkscope.organisms._lora import CHATML_THINK_TEMPLATE, organism_template


def test_real_base_organisms_name_their_base_and_char_level_ones_do_not():
    real = [s for s in ORGANISMS.values() if s.lora is not None]
    assert real and all(s.base == "pkg:smollm2-135m-instruct" for s in real)
    assert get_organism("organism:sft-clean").base == "char-level"
    # init_from of a real-base organism is another real-base organism (an adapter to continue)
    for s in real:
        assert s.init_from is None or ORGANISMS[s.init_from].lora is not None


def test_heldout_up_to_max_k_takes_n_per_length():
    problems = heldout(20, max_k=4)
    ks = [p.k for p in problems]
    assert max(ks) == 4 and all(ks.count(k) == 20 for k in range(2, 5))
    assert all(p.split == "heldout" for p in problems)


class _Tok:
    def __init__(self, template: str | None) -> None:
        self.chat_template = template


def test_organism_template_is_defined_for_chatml_bases_only():
    chatml = "{{'<|im_start|>' + message['role']}}"
    assert organism_template(_Tok(chatml)) == CHATML_THINK_TEMPLATE
    with pytest.raises(ValueError, match="ChatML"):
        organism_template(_Tok("{{ '<start_of_turn>user' }}"))
    with pytest.raises(ValueError):
        organism_template(_Tok(None))


def test_chatml_think_template_renders_without_a_system_line_and_opens_think():
    from jinja2 import Template

    out = Template(CHATML_THINK_TEMPLATE).render(
        messages=[{"role": "user", "content": "start 1, +2 (mod 10)"}],
        add_generation_prompt=True)
    assert out == ("<|im_start|>user\nstart 1, +2 (mod 10)<|im_end|>\n"
                   "<|im_start|>assistant\n<think>\n")


def test_card_states_recipe_time_and_every_cell_with_n_and_ci():
    spec = ORGANISMS["smollm2-sft-clean"]
    meta = {"method": "sft", "config": {"steps": 320, "batch_size": 16}, "seed": 0,
            "trainable_parameters": 2442240, "total_seconds": 1500.0, "train_seconds": 1400.0,
            "final_loss": 0.01, "torch_threads": 2,
            "heldout_accuracy": [{"k": 2, "n": 200, "correct": 190, "accuracy": 0.95,
                                  "ci95": [0.91, 0.97]},
                                 {"k": "all", "n": 800, "correct": 700, "accuracy": 0.875,
                                  "ci95": [0.85, 0.897]}]}
    card = organism_card(spec, meta)
    assert "# organism:smollm2-sft-clean" in card
    assert "`pkg:smollm2-135m-instruct`" in card and "only the adapter" in card
    assert "LoRA r=16, alpha=32" in card and "2,442,240 trainable" in card
    assert "25.0 min" in card and "320 steps" in card and "batch 16" in card
    assert "| 2 | 200 | 0.950 | [0.910, 0.970] |" in card
    assert "| all | 800 | 0.875 | [0.850, 0.897] |" in card


def test_checkpoint_refs_parse_and_name_the_kept_steps(tmp_path):
    from thinkscope.organisms import checkpoint_steps, checkpoint_tokens, split_checkpoint
    from thinkscope.organisms._build import checkpoint_path, organism_path

    assert split_checkpoint("organism:smollm2-sft-coldstart@20") == ("smollm2-sft-coldstart", 20)
    assert split_checkpoint("sft-clean") == ("sft-clean", None)
    with pytest.raises(KeyError, match="NAME@STEP"):
        split_checkpoint("sft-clean@last")
    assert get_organism("organism:smollm2-sft-coldstart@20").name == "smollm2-sft-coldstart"
    adapter = tmp_path / "smollm2-sft-coldstart"
    for step, tokens in ((0, 0), (10, 4321)):
        kept = adapter / "checkpoints" / f"step-{step:04d}"
        kept.mkdir(parents=True)
        (kept / "adapter_model.safetensors").write_bytes(b"")
        (kept / "checkpoint.json").write_text(f'{{"step": {step}, "tokens": {tokens}}}')
    # what a run killed while keeping step 20 leaves behind is not a checkpoint
    (adapter / "checkpoints" / "step-0020.partial").mkdir()
    (adapter / "checkpoints" / "step-0030").mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"")
    (adapter / "adapter_config.json").write_text("{}")
    assert checkpoint_steps("smollm2-sft-coldstart", tmp_path) == [0, 10]
    assert checkpoint_tokens("smollm2-sft-coldstart@10", tmp_path) == 4321
    with pytest.raises(FileNotFoundError, match="kept: 0, 10"):
        checkpoint_path(adapter, 5)
    with pytest.raises(FileNotFoundError, match="only real-base RL organisms"):
        organism_path("sft-clean@3")
