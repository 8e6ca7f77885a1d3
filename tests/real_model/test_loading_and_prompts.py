"""GGUF loading through the cached conversion, and prompt assembly against the real templates."""

from __future__ import annotations

import time

import pytest

from thinkscope.generate import PromptStyle, builder_for, default_max_tokens
from thinkscope.models import MissingModelPackage, converted_gguf, packaged_gguf, resolve_model

from .conftest import GEMMA, SMOLLM2


def test_gguf_conversion_is_cached_by_content(smollm2, tmp_path):
    gguf = packaged_gguf("smollm2-135m-instruct")
    t0 = time.perf_counter()
    folder = converted_gguf(gguf)
    assert time.perf_counter() - t0 < 10  # the session fixture converted it already
    assert (folder / "config.json").is_file() and list(folder.glob("*.safetensors"))
    # the same bytes under another name hit the same conversion; a .gguf path is a model ref
    alias = tmp_path / "renamed.gguf"
    alias.symlink_to(gguf)
    assert resolve_model(str(alias)) == str(folder) == resolve_model(SMOLLM2)
    assert smollm2.model.config.num_hidden_layers == 30


def test_gguf_without_its_packages_names_them(monkeypatch, tmp_path):
    import importlib.util

    from thinkscope.model_files import _gguf

    try:
        gguf = packaged_gguf("smollm2-135m-instruct")
    except MissingModelPackage as exc:
        pytest.skip(str(exc))
    real = importlib.util.find_spec
    monkeypatch.setenv("THINKSCOPE_CACHE", str(tmp_path))  # nothing converted here yet
    monkeypatch.setattr(_gguf.importlib.util, "find_spec",
                        lambda name, *a: None if name == "gguf" else real(name, *a))
    with pytest.raises(MissingModelPackage, match="pip install gguf"):
        converted_gguf(gguf)
    with pytest.raises(FileNotFoundError, match="no such GGUF file"):
        converted_gguf(tmp_path / "absent.gguf")


def test_instruct_prompt_round_trips_the_chat_template(smollm2):
    tok = smollm2.tokenizer
    b = builder_for(SMOLLM2, tok)
    assert b.style == PromptStyle.instruct and not b.writes_think
    q = "Tom has 3 apples and buys 4 more. How many apples does he have?"
    want = tok.apply_chat_template(b.messages(q), add_generation_prompt=True, tokenize=False)
    ids = b.prompt_ids(q)
    assert tok.decode(ids) == want == b.render(q)
    assert want.endswith("<|im_start|>assistant\n") and q in want and "The answer is" in want
    # a forced answer closes nothing (there is no think block) and cues the statement
    assert tok.decode(b.forced_answer_suffix()) == "\n\nThe answer is "
    assert default_max_tokens(SMOLLM2, b) == 512


def test_base_model_gets_a_few_shot_prompt(gemma):
    tok = gemma.tokenizer
    assert tok.chat_template is None
    b = builder_for(GEMMA, tok)
    assert b.style == PromptStyle.base and b.stop == ["\nQuestion:"]
    q = "Tom has 3 apples and buys 4 more. How many apples does he have?"
    ids = b.prompt_ids(q)
    assert ids[0] == tok.bos_token_id
    text = tok.decode(ids, skip_special_tokens=True)
    assert text.count("Question:") == 5 and text.endswith(f"Question: {q}\nAnswer:")
    assert text.count("The answer is ") == 4
    # a completion that runs on into the next question is cut there before splitting
    reasoning, answer, _ = b.split(" 3 + 4 = 7 apples.\nThe answer is 7.\n\nQuestion: next\n"
                                   "Answer: The answer is 9.")
    assert reasoning == "3 + 4 = 7 apples." and answer == "The answer is 7."
