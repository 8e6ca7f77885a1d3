"""Test tiers: unit/ (no model), integration/ (subprocesses, organisms), real_data/ (reads
../shared/data, skipped when absent), real_model/ (SmolLM2 / Gemma-3 from PyPI packages, marker
``real_model``, skipped when absent), gpu/ (needs CUDA, skipped elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("THINKSCOPE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real trace files beside the repo; tests using it skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present")
    return SHARED_DATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cuda = False
    try:  # torch is optional for the foundation; GPU tests need it anyway
        import torch

        cuda = bool(torch.cuda.is_available())
    except ImportError:
        pass
    skip_gpu = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "tests/real_model/" in item.nodeid or "tests\\real_model\\" in item.nodeid:
            item.add_marker(pytest.mark.real_model)
        if "gpu" in item.keywords and not cuda:
            item.add_marker(skip_gpu)
