"""A PEFT adapter folder as a model reference: merged once into its base and cached.

Every part that loads a model (HF backend, vLLM, activations) takes a plain transformers folder.
A folder holding ``adapter_config.json`` (and no ``config.json``) is therefore merged into the
base its config names (``base_model_name_or_path``, itself any model reference) and the result
cached under ``CACHE/adapters/<folder name>-<sha256 of the weights>``: a retrained adapter never
reuses a stale merge, and a killed merge leaves nothing a later run would trust. A chat template
or tokenizer saved beside the adapter wins over the base's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..outputs import file_sha256
from ._gguf import MissingModelPackage, cache_root, cached_folder

ADAPTER_CONFIG = "adapter_config.json"
_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
_DONE = "thinkscope-adapter-merge.json"


def is_adapter_folder(ref: str) -> bool:
    """Whether ``ref`` is a local PEFT adapter folder (not a full model)."""
    p = Path(ref)
    return p.is_dir() and (p / ADAPTER_CONFIG).is_file() and not (p / "config.json").is_file()


def merged_adapter(folder: str | Path, progress: bool = True) -> Path:
    """The cached transformers folder of ``folder``'s adapter merged into its base."""
    folder = Path(folder)
    weights = next((folder / w for w in _WEIGHTS if (folder / w).is_file()), None)
    if weights is None:
        raise FileNotFoundError(f"{folder}: adapter_config.json without adapter weights")
    base = json.loads((folder / ADAPTER_CONFIG).read_text()).get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{folder / ADAPTER_CONFIG}: no base_model_name_or_path")
    digest = file_sha256(weights)
    # an adapter saved as ``NAME/adapter`` is cached under NAME
    label = folder.parent.name if folder.name == "adapter" else folder.name
    target = cache_root() / "adapters" / f"{label}-{digest[:16]}"

    def load_base() -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ._gguf import model_source

        base_path = model_source(base) or base
        has_tokenizer = (folder / "tokenizer_config.json").is_file()
        tokenizer = AutoTokenizer.from_pretrained(str(folder if has_tokenizer else base_path))
        return AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32), tokenizer

    template = folder / "chat_template.jinja"
    return merge_adapter_cached(
        folder, target, load_base,
        record={"adapter": str(folder.resolve()), "base": base, "adapter_sha256": digest},
        chat_template=template.read_text() if template.is_file() else None,
        what=f"adapter {folder} into {base}", progress=progress)


def merge_adapter_cached(adapter: Path, target: Path, load_base: Callable[[], tuple[Any, Any]],
                         record: dict[str, Any], chat_template: str | None = None,
                         what: str = "adapter", progress: bool = True,
                         done: str = _DONE) -> Path:
    """``target``, made once: the base from ``load_base()`` with ``adapter`` merged in (fp32).

    The one merge path for adapter folders and real-base organisms alike: ``target`` names the
    adapter's digest, and the folder is written aside and renamed with ``record`` as its done
    marker (file name ``done``), so a killed merge leaves nothing a later run would trust.
    """
    if (target / done).is_file():
        return target
    import importlib.util

    if importlib.util.find_spec("peft") is None:
        raise MissingModelPackage("a LoRA adapter needs PEFT: pip install 'thinkscope[lora]'")
    import torch
    from peft import PeftModel

    from .._quiet import quiet_hf_progress

    if progress:
        print(f"merging {what} (once per adapter) -> {target}", file=sys.stderr, flush=True)
    model, tokenizer = load_base()
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    with quiet_hf_progress():
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged = merged.to(torch.float32)
    with cached_folder(target, done, json.dumps(record) + "\n") as tmp:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return target
