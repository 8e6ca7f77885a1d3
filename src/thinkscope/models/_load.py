"""One loader for organisms, hub ids, local paths and GGUF files.

``organism:NAME`` only resolves to a directory; from there on an organism is loaded exactly like
a hub model (``AutoModelForCausalLM.from_pretrained``), so every analysis that works on an
organism works unchanged on ``deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B``. ``trust_remote_code``
is off unless asked for. A ``.gguf`` file (or ``pkg:NAME``, a packaged one) is converted once into
a cached safetensors folder (see ``_gguf``) and loads from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._quiet import quiet_hf_progress
from ..model_files import model_source
from ..progress import bars_on_screen

ORGANISM_PREFIX = "organism:"


@dataclass
class LoadedModel:
    """A model, its tokenizer, and what it was loaded from."""

    model: Any
    tokenizer: Any
    ref: str
    path: str


def resolve_model(ref: str) -> str:
    """A hub id or local path for ``ref`` (``organism:NAME`` becomes the shipped directory; a
    ``.gguf`` file or ``pkg:NAME`` its cached conversion, made on first use)."""
    if ref.startswith(ORGANISM_PREFIX):
        from ..organisms import organism_path

        return str(organism_path(ref[len(ORGANISM_PREFIX):]))
    return model_source(ref) or ref


def _is_organism(ref: str, path: str) -> bool:
    """Organisms load in milliseconds: a progress bar for them is only noise in CLI output."""
    from ..organisms._build import organisms_dir

    return ref.startswith("organism:") or Path(path).resolve().parent == organisms_dir().resolve()


def load_model(
    ref: str,
    device: str | None = None,
    dtype: Any = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
) -> LoadedModel:
    """Load a causal LM and its tokenizer in eval mode.

    Args:
        ref: ``organism:NAME``, a hub id, a local directory, a ``.gguf`` file or ``pkg:NAME``.
        device: ``cpu``, ``cuda``, ``cuda:1``...; default CUDA when available.
        dtype: torch dtype; default float32 on CPU and bfloat16 on CUDA.
        trust_remote_code: run model code shipped with the checkpoint (off by default).
        revision: hub revision.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model(ref)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype is None:
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(path, revision=revision,
                                              trust_remote_code=trust_remote_code)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    # organisms load in milliseconds; in a log a per-load bar is noise
    with quiet_hf_progress(_is_organism(ref, path) or not bars_on_screen()):
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype, revision=revision, trust_remote_code=trust_remote_code
        )
    model.to(device)  # type: ignore[arg-type]
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, ref=ref, path=path)
