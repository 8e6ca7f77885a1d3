"""Scale-out with Ray Data: shard a corpus over workers that each run a backend and write into
the same store.

On CPU (and for any HF model) each worker is a Ray actor holding an ``HFBackend``; its batches go
through the same ``make_trace`` as a single-process run and are committed by the worker itself
(the store's commit lock makes concurrent writers safe). Seeds are per (problem, sample), so the
traces do not depend on how Ray shards the work. On GPU clusters ``run_ray_vllm`` uses
``ray.data.llm``'s vLLM processor instead. Ray is an optional extra: ``pip install
'thinkscope[ray]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..traces import ModelKind, TraceStore
from ..traces import idempotency_key as make_key
from ._corpora import CorpusItem
from ._protocol import GenerationRequest, Sampling
from ._runner import item_seed, make_trace


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError("Ray scale-out needs ray: pip install 'thinkscope[ray]'") from exc
    return ray


class _HFWorker:
    """A Ray Data actor: one model per worker, batches of rows in, commit counts out."""

    def __init__(self, model: str, store: str, corpus: str, sampling: dict[str, Any],
                 seed: int, model_kind: str, device: str | None, batch_size: int) -> None:
        from ._prompts import builder_for
        from .hf import HFBackend

        self.backend = HFBackend(model, device=device, batch_size=batch_size)
        self.builder = builder_for(model, self.backend.tokenizer)
        self.store = TraceStore(store)
        self.corpus = corpus
        self.sampling = Sampling(**{**sampling, "stop": tuple(sampling.get("stop", ()))})
        self.seed = seed
        self.kind = ModelKind(model_kind)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        from ..traces import ModelInfo

        items = [CorpusItem(str(p), str(q), None if g is None else str(g))
                 for p, q, g in zip(batch["problem_id"], batch["question"], batch["gold"])]
        samples = [int(s) for s in batch["sample_index"]]
        reqs = [GenerationRequest(prompt_ids=self.builder.prompt_ids(it.question), n=1,
                                  sampling=self.sampling,
                                  seed=item_seed(self.seed, it.problem_id, s))
                for it, s in zip(items, samples)]
        results = self.backend.generate(reqs)
        model = ModelInfo(id=self.backend.model_id, kind=self.kind)
        traces, failed = [], 0
        for it, s, req, res in zip(items, samples, reqs, results):
            if isinstance(res, Exception) or not res:
                failed += 1
                continue
            traces.append(make_trace(it, res[0], s, self.builder, req.prompt_ids, model,
                                     self.corpus, self.backend.name, self.sampling,
                                     req.seed or 0))
        written = self.store.write_batch(traces).written if traces else 0
        return {"written": [written], "failed": [failed]}


def _missing_rows(items: Sequence[CorpusItem], samples: int, store: TraceStore, corpus: str,
                  model: str, seed: int) -> list[dict[str, Any]]:
    """One row per (problem, sample) not yet in the store (resumption)."""
    stored = store.keys()
    return [
        {"problem_id": it.problem_id, "question": it.question, "gold": it.gold,
         "sample_index": s, "seed": item_seed(seed, it.problem_id, s)}
        for it in items for s in range(samples)
        if make_key(corpus, it.problem_id, model, s, None) not in stored
    ]


def run_ray_generation(
    model: str,
    items: Sequence[CorpusItem],
    store: str | Path,
    corpus: str,
    samples: int = 1,
    sampling: Sampling | None = None,
    seed: int = 0,
    num_workers: int = 2,
    batch_size: int = 16,
    model_kind: ModelKind = ModelKind.unknown,
    device: str | None = "cpu",
    num_cpus_per_worker: float = 1.0,
) -> dict[str, int]:
    """Generate with ``num_workers`` HF workers under Ray Data; resumes like the runner.

    Connects to a running Ray cluster if there is one (``ray.init()``), else starts a local one.
    """
    ray = _ray()
    sampling = sampling or Sampling()
    rows = _missing_rows(items, samples, TraceStore(store), corpus, model, seed)
    if not rows:
        return {"written": 0, "failed": 0, "already_stored": len(items) * samples}
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    ds = ray.data.from_items(rows, override_num_blocks=max(num_workers, len(rows) // batch_size))
    out = ds.map_batches(
        _HFWorker,
        fn_constructor_kwargs=dict(model=model, store=str(store), corpus=corpus,
                                   sampling=sampling.to_json(), seed=seed,
                                   model_kind=model_kind.value, device=device,
                                   batch_size=batch_size),
        batch_size=batch_size, concurrency=num_workers, num_cpus=num_cpus_per_worker,
        batch_format="numpy",
    ).take_all()
    return {"written": int(sum(r["written"] for r in out)),
            "failed": int(sum(r["failed"] for r in out)),
            "already_stored": len(items) * samples - len(rows)}


def run_ray_vllm(
    model: str,
    items: Sequence[CorpusItem],
    store: str | Path,
    corpus: str,
    samples: int = 1,
    sampling: Sampling | None = None,
    seed: int = 0,
    num_replicas: int = 1,
    tensor_parallel_size: int = 1,
    batch_size: int = 64,
    model_kind: ModelKind = ModelKind.unknown,
) -> dict[str, int]:
    """Generate on a GPU cluster with ``ray.data.llm``'s vLLM processor, then store the traces.

    The processor takes the chat messages and applies the model's template itself; reasoning is
    split from the answer by ``make_trace`` (offline vLLM does not split it).
    """
    ray = _ray()
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    from ..traces import ModelInfo
    from ._prompts import PromptBuilder
    from ._protocol import Completion

    sampling = sampling or Sampling()
    store_obj = TraceStore(store)
    rows = _missing_rows(items, samples, store_obj, corpus, model, seed)
    if not rows:
        return {"written": 0, "failed": 0, "already_stored": len(items) * samples}
    config = vLLMEngineProcessorConfig(
        model_source=model,
        engine_kwargs={"enable_prefix_caching": True,
                       "tensor_parallel_size": tensor_parallel_size},
        concurrency=num_replicas, batch_size=batch_size,
    )
    builder = PromptBuilder(tokenizer=None)
    processor = build_processor(
        config,
        preprocess=lambda row: dict(
            messages=builder.messages(row["question"]),
            sampling_params={"temperature": sampling.temperature, "top_p": sampling.top_p,
                             "max_tokens": sampling.max_tokens, "seed": int(row["seed"])},
        ),
        postprocess=lambda row: dict(
            problem_id=row["problem_id"], question=row["question"], gold=row["gold"],
            sample_index=row["sample_index"], seed=row["seed"], text=row["generated_text"],
        ),
    )
    out = processor(ray.data.from_items(rows)).take_all()
    info = ModelInfo(id=model, kind=model_kind)
    traces = []
    for r in out:
        item = CorpusItem(r["problem_id"], r["question"], r["gold"])
        comp = Completion(token_ids=[], text=r["text"], finish_reason="stop")
        traces.append(make_trace(item, comp, int(r["sample_index"]), builder, [], info, corpus,
                                 "vllm-ray", sampling, int(r["seed"])))
    written = store_obj.append(traces).written
    return {"written": written, "failed": len(rows) - len(out),
            "already_stored": len(items) * samples - len(rows)}
