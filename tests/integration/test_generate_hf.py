"""HF backend and the generation runner on a shipped organism."""

import pytest
import torch

from thinkscope.generate import (
    GenerationRequest,
    PromptBuilder,
    PromptStyle,
    Sampling,
    builder_for,
    detect_style,
    load_corpus,
    run_generation,
)
from thinkscope.generate.hf import HFBackend
from thinkscope.traces import TraceStore

MODEL = "organism:sft-clean"


@pytest.fixture(scope="module")
def backend():
    return HFBackend(MODEL, device="cpu", batch_size=32)


@pytest.fixture(scope="module")
def builder(backend):
    return builder_for(MODEL, backend.tokenizer)


@pytest.fixture(scope="module")
def items():
    return load_corpus("modarith", limit=24)


def test_prompts_are_assembled_at_token_level(builder, items):
    assert builder.style == PromptStyle.r1 and detect_style(builder.tokenizer) == PromptStyle.r1
    ids = builder.prompt_ids(items[0].question)
    assert builder.tokenizer.decode(ids).endswith("<|assistant|>\n<think>\n")
    cot = builder.encode("4+7=1\n")
    forced = builder.forced_answer_ids(ids, cot)
    assert forced[: len(ids) + len(cot)] == ids + cot  # the prefix is kept token for token
    assert builder.tokenizer.decode(forced[len(ids) + len(cot):]) == "</think>\nAnswer: "


def test_style_detection_for_other_template_families(builder):
    tok = builder.tokenizer
    saved = tok.chat_template
    try:
        tok.chat_template = saved.replace("<think>\\n", "")
        assert detect_style(tok) == PromptStyle.think
        b = PromptBuilder(tok)
        assert tok.decode(b.prompt_ids("q", open_think=True)).endswith("<think>\n")
        assert not tok.decode(b.prompt_ids("q")).endswith("<think>\n")
        tok.chat_template = "{# enable_thinking #}" + saved
        assert detect_style(tok) == PromptStyle.qwen3
    finally:
        tok.chat_template = saved


def _reqs(builder, items, **kw):
    sampling = kw.pop("sampling", Sampling(max_tokens=64))
    return [GenerationRequest(prompt_ids=builder.prompt_ids(it.question), sampling=sampling,
                              **kw) for it in items]


def test_greedy_matches_transformers_generate(backend, builder, items):
    reqs = _reqs(builder, items[:6])
    ours = [r[0].token_ids for r in backend.generate(reqs)]
    for req, toks in zip(reqs, ours):
        ids = torch.tensor([req.prompt_ids])
        ref = backend.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     max_new_tokens=64, pad_token_id=backend.pad_id)
        assert toks == ref[0, ids.shape[1]:].tolist()


def test_greedy_batched_equals_unbatched(backend, builder, items):
    reqs = _reqs(builder, items)
    batched = [r[0].token_ids for r in backend.generate(reqs)]
    backend.batch_size = 1
    try:
        unbatched = [r[0].token_ids for r in backend.generate(reqs)]
    finally:
        backend.batch_size = 32
    assert batched == unbatched


def test_sampling_is_deterministic_by_seed_and_n_samples_differ(backend, builder, items):
    hot = Sampling(temperature=1.5, max_tokens=40)
    a = backend.generate(_reqs(builder, items[:4], sampling=hot, seed=7, n=4))
    b = backend.generate(_reqs(builder, items[:4], sampling=hot, seed=7, n=4))
    c = backend.generate(_reqs(builder, items[:4], sampling=hot, seed=8, n=4))
    toks = lambda res: [[c.token_ids for c in r] for r in res]  # noqa: E731
    assert toks(a) == toks(b)
    assert toks(a) != toks(c)
    assert all(len(r) == 4 for r in a)
    assert len({tuple(c.token_ids) for r in a for c in r}) > 4  # samples are not all equal
    assert [c.sample_index for c in a[0]] == [0, 1, 2, 3]
    # a sample does not depend on which other requests share its batch
    alone = backend.generate(_reqs(builder, items[1:2], sampling=hot, seed=7, n=4))
    assert toks(alone)[0] == toks(a)[1]


def test_stop_rules_max_tokens_and_logprobs(backend, builder, items):
    (stopped,) = backend.generate(_reqs(builder, items[:1],
                                        sampling=Sampling(max_tokens=64, stop=("\n",))))
    assert stopped[0].finish_reason == "stop" and "\n" not in stopped[0].text
    (short,) = backend.generate(_reqs(builder, items[:1], sampling=Sampling(max_tokens=3)))
    assert short[0].finish_reason == "length" and len(short[0].token_ids) == 3
    (full,) = backend.generate(_reqs(builder, items[:1]))
    c = full[0]
    assert c.finish_reason == "stop" and c.token_ids[-1] in backend.eos_ids
    assert len(c.logprobs) == len(c.token_ids) and all(lp <= 0 for lp in c.logprobs)
    scored = backend.score(_reqs(builder, items[:1])[0].prompt_ids, c.token_ids)
    assert scored == pytest.approx(c.logprobs, abs=1e-4)


def test_runner_writes_graded_traces_and_resumes(tmp_path, backend, builder, items):
    store = TraceStore(tmp_path / "s")
    first = run_generation(backend, builder, items[:10], store, "modarith", samples=2,
                           sampling=Sampling(temperature=1.0, max_tokens=64), seed=3,
                           progress=False)
    assert (first.written, first.already_stored, first.failed) == (20, 0, 0)
    df = store.to_pandas()
    assert len(df) == 20 and df["key"].is_unique
    assert df["correct"].notna().all() and df["reasoning"].str.contains("=").all()
    assert set(df["sample_index"]) == {0, 1}
    summary = first.to_json()
    assert summary["n_graded"] == 20 and summary["accuracy"] > 0.5
    assert summary["finish_reasons"] == {"stop": 20}
    again = run_generation(backend, builder, items[:12], store, "modarith", samples=2,
                           sampling=Sampling(temperature=1.0, max_tokens=64), seed=3,
                           progress=False)
    assert (again.written, again.already_stored) == (4, 20)
    t = next(store.iter_traces())
    assert t.prompt_token_ids and t.completion_token_ids and t.seed is not None
    assert t.model.kind.value == "unknown" or t.model.id == MODEL
