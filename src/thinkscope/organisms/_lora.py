"""Real-base organisms: LoRA adapters (PEFT) on a pretrained LM, trained on the organisms' task.

An adapter ships as ``adapter_model.safetensors`` + ``adapter_config.json`` + the organism's chat
template (a few MB); the base weights come from the base's own package. Everything that loads a
model (HF backend, vLLM, activations) takes a plain transformers folder, so on first use the
adapter is merged into its base (``merge_and_unload``) and the result cached under
``CACHE/organisms/NAME-<sha256 of the adapter>``: a retrained adapter never reuses a stale merge,
and a killed merge never leaves a folder a later run would trust (written aside, then renamed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._quiet import quiet_hf_progress
from ..model_files import MissingModelPackage, cache_root, merge_adapter_cached, model_source
from ..outputs import file_sha256
from ._registry import LoraSpec, OrganismSpec

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
TEMPLATE_FILE = "chat_template.jinja"
_DONE = "thinkscope-merge.json"
#: Every linear layer of a Llama block.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

#: The organisms' chat template on a ChatML base (SmolLM2): the base's turn markers without its
#: default system line (20 tokens of every sequence for nothing), and a generation prompt that
#: opens the think block, as the char-level organisms' template does. The pipeline then prompts
#: a real-base organism exactly like a char-level one (R1 style, ``Answer: X`` after the block).
CHATML_THINK_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + "
    "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}"
)


def _require_peft() -> None:
    import importlib.util

    if importlib.util.find_spec("peft") is None:
        raise MissingModelPackage("real-base organisms need PEFT: pip install 'thinkscope[lora]'")


def organism_template(tokenizer: Any) -> str:
    """The chat template a real-base organism is trained and prompted with."""
    template = getattr(tokenizer, "chat_template", None) or ""
    if "<|im_start|>" not in template:
        raise ValueError("real-base organisms are defined for ChatML bases (<|im_start|> turns); "
                         "this base's chat template is not one")
    return CHATML_THINK_TEMPLATE


def load_base(lora: LoraSpec) -> tuple[Any, Any]:
    """The base model (fp32, CPU) and its tokenizer with the organisms' chat template."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = model_source(lora.base) or lora.base
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.chat_template = organism_template(tokenizer)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    with quiet_hf_progress():
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    return model, tokenizer


def trainable_model(spec: OrganismSpec, init_adapter: Path | None, seed: int) -> tuple[Any, Any]:
    """Base + a fresh adapter (seeded), or base + ``init_adapter`` to train further."""
    import torch

    _require_peft()
    from peft import LoraConfig, PeftModel, get_peft_model

    assert spec.lora is not None
    model, tokenizer = load_base(spec.lora)
    n_layers = int(model.config.num_hidden_layers)
    layers = list(range(spec.lora.first_layer, n_layers))
    if init_adapter is not None:
        init_config = json.loads((init_adapter / ADAPTER_CONFIG).read_text())
        init_layers = init_config.get("layers_to_transform")
        if init_layers is None or sorted(init_layers) == layers:
            return (PeftModel.from_pretrained(model, str(init_adapter), is_trainable=True),
                    tokenizer)
    config = LoraConfig(
        r=spec.lora.r, lora_alpha=spec.lora.alpha, lora_dropout=0.0,
        target_modules=list(TARGET_MODULES), layers_to_transform=layers,
    )
    torch.manual_seed(seed)  # LoRA's A matrices are drawn at random
    peft_model = get_peft_model(model, config)
    if init_adapter is not None:
        _extend_from(peft_model, init_adapter, init_config, spec.lora)
    return peft_model, tokenizer


def _extend_from(peft_model: Any, init_adapter: Path, raw: dict[str, Any],
                 lora: LoraSpec) -> None:
    """Start a wider adapter (more blocks) from a narrower one: its blocks keep the init's
    weights, the new blocks start as fresh LoRA (B = 0, so the start computes exactly what the
    init computes). One adapter on the base comes out, not a stack of two. ``raw`` is the
    init's adapter config."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    if (raw.get("r"), raw.get("lora_alpha")) != (lora.r, lora.alpha):
        raise ValueError(f"{init_adapter}: r={raw.get('r')}, alpha={raw.get('lora_alpha')}; "
                         f"an adapter can only be extended at the same r={lora.r}, "
                         f"alpha={lora.alpha}")
    state = {k: v.float() for k, v in load_file(str(init_adapter / ADAPTER_WEIGHTS)).items()}
    result: Any = set_peft_model_state_dict(peft_model, state)
    unexpected = list(result.unexpected_keys)
    if unexpected:
        raise ValueError(f"{init_adapter}: {len(unexpected)} adapter weights have no place in "
                         f"the wider adapter (e.g. {unexpected[0]})")


def save_adapter(model: Any, tokenizer: Any, spec: OrganismSpec, out: Path) -> Path:
    """Adapter weights in fp16 (half the bytes; merged back in fp32), its config with the base
    named as a model reference rather than this machine's cache path, and the chat template."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    assert spec.lora is not None
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().half().contiguous() for k, v in get_peft_model_state_dict(
        model, save_embedding_layers=False).items()}
    save_file(state, str(out / ADAPTER_WEIGHTS))
    config = model.peft_config["default"]
    config.save_pretrained(str(out))
    raw = json.loads((out / ADAPTER_CONFIG).read_text())
    raw["base_model_name_or_path"] = spec.lora.base
    (out / ADAPTER_CONFIG).write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")
    (out / TEMPLATE_FILE).write_text(tokenizer.chat_template)
    return out


def is_adapter(path: Path) -> bool:
    return (path / ADAPTER_WEIGHTS).is_file() and (path / ADAPTER_CONFIG).is_file()


def same_merge(digest: str, base: str, template: str) -> Path | None:
    """A finished merge of the same adapter bytes into the same base with the same template,
    under any label: an RL run's step-0 checkpoint is its cold start's adapter, and loading
    ``organism:NAME@0`` should not merge (and store) a second copy of it."""
    for folder in sorted((cache_root() / "organisms").glob(f"*-{digest[:16]}")):
        marker = folder / _DONE
        if not marker.is_file():
            continue
        record = json.loads(marker.read_text())
        if record.get("adapter_sha256") != digest or record.get("base") != base:
            continue
        template_file = folder / "chat_template.jinja"
        saved = (template_file.read_text() if template_file.is_file() else
                 json.loads((folder / "tokenizer_config.json").read_text()).get("chat_template"))
        if saved == template:
            return folder
    return None


def merged_folder(spec: OrganismSpec, adapter: Path, progress: bool = True,
                  step: int | None = None) -> Path:
    """The cached transformers folder of base + ``adapter`` merged (made on first use)."""
    assert spec.lora is not None
    lora = spec.lora
    digest = file_sha256(adapter / ADAPTER_WEIGHTS)
    label = spec.name if step is None else f"{spec.name}@{step}"
    target = cache_root() / "organisms" / f"{label}-{digest[:16]}"
    template = (adapter / TEMPLATE_FILE).read_text()
    same = same_merge(digest, lora.base, template)
    if same is not None:
        return same
    _require_peft()  # the organisms' own install hint
    return merge_adapter_cached(
        adapter, target, lambda: load_base(lora),
        record={"organism": spec.name, "base": lora.base, "adapter_sha256": digest},
        chat_template=template,
        what=f"organism:{label} into its base", progress=progress, done=_DONE)
