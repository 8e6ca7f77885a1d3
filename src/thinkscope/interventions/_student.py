"""Fine-tune a student (LoRA, PEFT) on teacher data.

Examples are tokenised with the student's own chat template exactly as the evaluation prompts
it (``apply_chat_template`` with the generation prompt, then the answer and the end-of-turn
token); the loss is on the answer only. A plain torch loop rather than TRL's ``SFTTrainer``:
on 2 CPU cores the same LoRA step takes 1.4x as long under the trainer (SmolLM2-135M, batch 8,
``benchmarks/student_training.py``), and students are most of the experiment's time. A
base without a chat template (a pretrained-only model such as Gemma-3-270M) gets a plain
``User:/Assistant:`` one, saved beside the adapter so that evaluation uses it too.

The adapter is saved with its base named as a model reference (``pkg:NAME``, hub id), so the
folder is itself a model reference anywhere one is accepted (see ``model_files.merged_adapter``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..outputs import atomic_outputs
from ._data import Example

#: for bases without a chat template
PLAIN_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}User: {{ m['content'] }}\n"
    "{% elif m['role'] == 'assistant' %}Assistant: {{ m['content'] }}{{ eos_token }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}Assistant: {% endif %}"
)
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class StudentConfig:
    """LoRA and optimiser settings; the same for every student of one experiment."""

    epochs: int = 2
    batch_size: int = 16
    lr: float = 1e-3
    r: int = 16
    alpha: int = 32
    seed: int = 0
    #: adapters on the upper blocks only, from this fraction of the depth up: the backward
    #: pass stops there, which halves its cost on CPU
    first_layer_fraction: float = 0.5


def _tokenizer(base_ref: str) -> Any:
    from transformers import AutoTokenizer

    from ..model_files import model_source

    tok = AutoTokenizer.from_pretrained(model_source(base_ref) or base_ref)
    if not getattr(tok, "chat_template", None):
        tok.chat_template = PLAIN_TEMPLATE
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def tokenize_examples(tokenizer: Any, examples: Sequence[Example]) -> list[dict[str, list[int]]]:
    """``input_ids`` and ``completion_mask`` rows (1 on the answer and its end-of-turn token)."""
    rows = []
    eos = [tokenizer.eos_token_id]
    for ex in examples:
        raw = tokenizer.apply_chat_template([{"role": "user", "content": ex.prompt}],
                                            add_generation_prompt=True, tokenize=True)
        prompt = list(raw["input_ids"] if hasattr(raw, "keys") else raw)
        answer = list(tokenizer.encode(ex.completion, add_special_tokens=False)) + eos
        rows.append({"input_ids": prompt + answer,
                     "completion_mask": [0] * len(prompt) + [1] * len(answer)})
    return rows


def _batches(rows: list[dict[str, list[int]]], cfg: StudentConfig, pad: int) -> Any:
    """Right-padded batches, shuffled per epoch with ``cfg.seed``; labels on the answer only."""
    import random

    import torch

    rng = random.Random(cfg.seed)
    for _ in range(cfg.epochs):
        order = list(range(len(rows)))
        rng.shuffle(order)
        for start in range(0, len(order), cfg.batch_size):
            chunk = [rows[i] for i in order[start:start + cfg.batch_size]]
            width = max(len(r["input_ids"]) for r in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            labels = torch.full((len(chunk), width), -100, dtype=torch.long)
            for i, r in enumerate(chunk):
                n = len(r["input_ids"])
                ids[i, :n] = torch.tensor(r["input_ids"])
                mask[i, :n] = 1
                labels[i, :n] = torch.tensor([t if c else -100 for t, c in
                                              zip(r["input_ids"], r["completion_mask"])])
            yield {"input_ids": ids, "attention_mask": mask, "labels": labels}


def lora_student(base_ref: str, cfg: StudentConfig) -> tuple[Any, Any]:
    """The base with a fresh LoRA adapter (seeded) on its upper blocks, and its tokenizer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from .._quiet import quiet_hf_progress
    from ..model_files import model_source

    tokenizer = _tokenizer(base_ref)
    torch.manual_seed(cfg.seed)
    model: Any
    with quiet_hf_progress():
        model = AutoModelForCausalLM.from_pretrained(model_source(base_ref) or base_ref,
                                                     dtype=torch.float32)
    n_layers = int(model.config.num_hidden_layers)
    lora = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=0.0,
                      target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM",
                      layers_to_transform=list(range(int(n_layers * cfg.first_layer_fraction),
                                                     n_layers)))
    return get_peft_model(model, lora), tokenizer


def fit(model: Any, rows: list[dict[str, list[int]]], cfg: StudentConfig, pad_id: int,
        progress: bool = True, desc: str = "student") -> list[float]:
    """Train ``model``'s trainable parameters on ``rows`` (AdamW, cosine to 0, gradient norm
    clipped at 1); returns the loss of every step."""
    import math

    import torch

    from ..progress import progress_bar

    steps = -(-len(rows) // cfg.batch_size) * cfg.epochs
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr,
                            weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: 0.5 * (1 + math.cos(math.pi * i / max(1, steps))))
    losses: list[float] = []
    model.train()
    bar = progress_bar(total=steps, desc=desc, unit="step", disable=not progress)
    for batch in _batches(rows, cfg, pad_id):
        loss = model(**batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        bar.update(1)
    bar.close()
    model.eval()
    return losses


def train_student(base_ref: str, examples: Sequence[Example], out: str | Path,
                  cfg: StudentConfig = StudentConfig(), progress: bool = True) -> dict[str, Any]:
    """Train a LoRA student on ``examples`` and save it (all or nothing) under ``out``.

    Returns the run record (examples, steps, losses, seconds), also saved as
    ``student.json`` beside the adapter.
    """
    if not examples:
        raise ValueError(f"{out}: no examples to train a student on")
    out = Path(out)
    model, tokenizer = lora_student(base_ref, cfg)
    rows = tokenize_examples(tokenizer, examples)
    t0 = time.perf_counter()
    losses = fit(model, rows, cfg, tokenizer.pad_token_id, progress, f"student {out.name}")
    record = {"base": base_ref, "n_examples": len(examples), "config": asdict(cfg),
              "steps": len(losses), "first_loss": round(losses[0], 4),
              "final_loss": round(sum(losses[-3:]) / len(losses[-3:]), 4),
              "train_seconds": round(time.perf_counter() - t0, 1)}
    with atomic_outputs(out, "student", {"base": base_ref, **asdict(cfg)}) as tmp:
        adapter = tmp / "adapter"
        model.save_pretrained(str(adapter))
        tokenizer.save_pretrained(str(adapter))
        cfg_path = adapter / "adapter_config.json"
        raw = json.loads(cfg_path.read_text())
        raw["base_model_name_or_path"] = base_ref
        cfg_path.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")
        (tmp / "student.json").write_text(json.dumps(record, indent=2) + "\n")
    return record
