"""Ray Data scale-out on a local Ray cluster yields the same traces as a single-process run."""

import pytest

from thinkscope.generate import Sampling, builder_for, load_corpus, run_generation
from thinkscope.generate.hf import HFBackend
from thinkscope.traces import TraceStore

COLUMNS = ["problem_id", "sample_index", "reasoning", "answer", "extracted_answer", "correct",
           "seed"]


def test_ray_matches_single_process(tmp_path):
    ray = pytest.importorskip("ray")
    from thinkscope.generate.ray_data import run_ray_generation

    items = load_corpus("modarith", limit=12)
    sampling = Sampling(temperature=0.0, max_tokens=64)
    single = TraceStore(tmp_path / "single")
    be = HFBackend("organism:sft-clean", device="cpu")
    run_generation(be, builder_for(be.model_id, be.tokenizer), items, single, "modarith",
                   samples=2, sampling=sampling, seed=5, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        res = run_ray_generation("organism:sft-clean", items, tmp_path / "ray", "modarith",
                                 samples=2, sampling=sampling, seed=5, num_workers=2,
                                 batch_size=6)
        assert res == {"written": 24, "failed": 0, "already_stored": 0}
        again = run_ray_generation("organism:sft-clean", items, tmp_path / "ray", "modarith",
                                   samples=2, sampling=sampling, seed=5, num_workers=2)
        assert again["written"] == 0 and again["already_stored"] == 24
    finally:
        ray.shutdown()
    a = single.to_pandas().sort_values(["problem_id", "sample_index"])[COLUMNS]
    b = TraceStore(tmp_path / "ray").to_pandas().sort_values(["problem_id", "sample_index"])[
        COLUMNS]
    assert len(a) == len(b) == 24
    assert a.reset_index(drop=True).equals(b.reset_index(drop=True))
