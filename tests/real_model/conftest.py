"""Real pretrained LMs that install offline as PyPI packages (see README, "Real models"):
SmolLM2-135M-Instruct (llama, 30 layers, chat template, no think tags) and Gemma-3-270M (base,
18 layers, no chat template). One loaded model per session; tests skip with one line when the
packages are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SMOLLM2 = "pkg:smollm2-135m-instruct"
GEMMA = "pkg:gemma3-270m"


def _backend(ref: str, batch_size: int = 8):
    """The HF backend of ``ref`` on CPU; a one-line skip when its package is absent."""
    from thinkscope.generate.hf import HFBackend
    from thinkscope.models import MissingModelPackage

    try:
        return HFBackend(ref, device="cpu", batch_size=batch_size)
    except MissingModelPackage as exc:
        pytest.skip(f"{ref}: {exc}")


@pytest.fixture(scope="session")
def smollm2():
    return _backend(SMOLLM2)


@pytest.fixture(scope="session")
def gemma():
    return _backend(GEMMA)


@pytest.fixture(scope="session")
def smollm2_traces(smollm2, tmp_path_factory: pytest.TempPathFactory):
    """Greedy SmolLM2 traces on the first GSM8K test problems (generated once per session)."""
    from thinkscope.generate import Sampling, builder_for, load_corpus, run_generation
    from thinkscope.traces import TraceStore

    root: Path = tmp_path_factory.mktemp("smollm2")
    builder = builder_for(SMOLLM2, smollm2.tokenizer)
    store = TraceStore(root / "store", create=True)
    run_generation(smollm2, builder, load_corpus("gsm8k", limit=8), store, "gsm8k",
                   sampling=Sampling(max_tokens=192), progress=False)
    return builder, list(store.iter_traces()), root
