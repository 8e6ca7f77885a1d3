"""vLLM backend on CUDA: same greedy tokens as the HF backend on an organism, prefix caching on,
per-sample seeds. Skipped where CUDA (or vllm) is absent; run with `tox -e gpu`."""

import pytest

from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus
from thinkscope.generate.hf import HFBackend

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def vllm_backend():
    pytest.importorskip("vllm")
    from thinkscope.generate.vllm import VLLMBackend

    return VLLMBackend("organism:sft-clean", dtype="float32", gpu_memory_utilization=0.3)


def test_greedy_matches_hf(vllm_backend):
    hf = HFBackend("organism:sft-clean", device="cuda", dtype=None)
    import torch

    hf.model.to(torch.float32)
    builder = builder_for("organism:sft-clean", hf.tokenizer)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(it.question),
                              sampling=Sampling(max_tokens=64))
            for it in load_corpus("modarith", limit=32)]
    ours = [r[0].token_ids for r in hf.generate(reqs)]
    theirs = [r[0].token_ids for r in vllm_backend.generate(reqs)]
    agree = sum(a == b for a, b in zip(ours, theirs)) / len(ours)
    assert agree >= 0.95


def test_seeds_and_n(vllm_backend):
    builder = builder_for("organism:sft-clean", vllm_backend.tokenizer)
    item = load_corpus("modarith", limit=1)[0]
    req = GenerationRequest(prompt_ids=builder.prompt_ids(item.question), n=4, seed=3,
                            sampling=Sampling(temperature=1.0, max_tokens=48))
    a = vllm_backend.generate([req])[0]
    b = vllm_backend.generate([req])[0]
    assert [c.token_ids for c in a] == [c.token_ids for c in b]
    assert len(a) == 4 and all(c.logprobs is not None for c in a)
    assert vllm_backend.llm.llm_engine.cache_config.enable_prefix_caching
