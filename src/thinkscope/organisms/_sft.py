"""Supervised training of an organism from scratch (or from another organism's weights).

A plain torch loop rather than ``transformers.Trainer``: the models are ~1M parameters, batches
are rendered fresh each step (self-correcting and post-hoc traces draw new mistakes every time),
and the whole run must be bit-for-bit deterministic by seed on CPU; the loop is short enough to
read in one screen.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from ..progress import progress_bar
from ._formats import render_example
from ._task import Problem


@dataclass
class ArchConfig:
    """Architecture shared by all organisms (a standard Llama config, scaled down)."""

    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    max_position_embeddings: int = 256


@dataclass
class SFTConfig:
    """Hyper-parameters of one supervised run."""

    fmt: str
    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3
    warmup: int = 100
    weight_decay: float = 0.01
    seed: int = 0
    #: Draw each batch's chain lengths uniformly (instead of problems uniformly), so that the
    #: 241 one-step problems are not drowned out by the thousands of long ones.
    balance_k: bool = False
    #: Staged formats: steps per stage (stage 1 first, one more stage every ``stage_steps``,
    #: up to ``max_stage``; the rest of the run stays at the last stage).
    stage_steps: int = 0
    max_stage: int = 0


def make_model(tokenizer: Any, arch: ArchConfig, seed: int) -> Any:
    """A freshly initialised ``LlamaForCausalLM`` for the organisms' tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=arch.hidden_size,
        intermediate_size=arch.intermediate_size,
        num_hidden_layers=arch.num_hidden_layers,
        num_attention_heads=arch.num_attention_heads,
        num_key_value_heads=arch.num_attention_heads,
        max_position_embeddings=arch.max_position_embeddings,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def prompt_text(tokenizer: Any, problem: Problem) -> str:
    """The rendered chat prompt (ends with the opened think block)."""
    return chat_prompt(tokenizer, problem.text)


def chat_prompt(tokenizer: Any, question: str) -> str:
    """``question`` as the user turn of the chat template, generation prompt included."""
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False
    )


def make_batch(
    tokenizer: Any, problems: list[Problem], fmt: str, rng: random.Random, stage: int = 0
) -> dict[str, torch.Tensor]:
    """Right-padded inputs with labels on the completion tokens only."""
    examples = [render_example(fmt, p, rng, stage) for p in problems]
    prompts = tokenizer([chat_prompt(tokenizer, q) for q, _ in examples],
                        add_special_tokens=False)["input_ids"]
    comps = tokenizer([c + tokenizer.eos_token for _, c in examples],
                      add_special_tokens=False)["input_ids"]
    seqs = [a + b for a, b in zip(prompts, comps)]
    width = max(len(s) for s in seqs)
    pad = tokenizer.pad_token_id
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, (a, s) in enumerate(zip(prompts, seqs)):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
        labels[i, len(a) : len(s)] = torch.tensor(s[len(a) :])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def train_sft(
    model: Any,
    tokenizer: Any,
    problems: list[Problem],
    cfg: SFTConfig,
    progress: bool = True,
    log_every: int = 0,
) -> dict[str, Any]:
    """Train ``model`` in place on ``problems`` rendered in ``cfg.fmt``; returns run metadata."""
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98),
    )

    def lr_at(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.5 * (1 + math.cos(math.pi * frac)) * 0.95 + 0.05

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    by_k: dict[int, list[Problem]] = {}
    for p in problems:
        by_k.setdefault(p.k, []).append(p)
    ks = sorted(by_k)

    def draw() -> list[Problem]:
        if not cfg.balance_k:
            return rng.sample(problems, cfg.batch_size)
        return [rng.choice(by_k[rng.choice(ks)]) for _ in range(cfg.batch_size)]

    model.train()
    t0 = time.perf_counter()
    losses: list[float] = []
    bar = progress_bar(range(cfg.steps), desc=f"sft {cfg.fmt}", disable=not progress)
    for step in bar:
        stage = min(step // cfg.stage_steps + 1, cfg.max_stage) if cfg.stage_steps else 0
        batch = make_batch(tokenizer, draw(), cfg.fmt, rng, stage)
        out = model(**batch)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(out.loss.detach()))
        if step % 25 == 0:
            bar.set_postfix(loss=f"{sum(losses[-25:]) / len(losses[-25:]):.4f}")
        if log_every and step % log_every == 0:
            print(f"step {step} loss {sum(losses[-log_every:]) / len(losses[-log_every:]):.4f}",
                  flush=True)
    model.eval()
    return {
        "method": "sft",
        "config": asdict(cfg),
        "initial_loss": sum(losses[:5]) / max(1, len(losses[:5])),
        "final_loss": sum(losses[-50:]) / max(1, len(losses[-50:])),
        "train_seconds": round(time.perf_counter() - t0, 1),
        "train_problems": len(problems),
    }


def save_organism(model: Any, tokenizer: Any, out: str | Path, fp16: bool = True) -> Path:
    """``save_pretrained`` of model (fp16 to keep the shipped files small) and tokenizer."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    to_save = model.half() if fp16 else model
    to_save.save_pretrained(out, safe_serialization=True)
    if fp16:
        model.float()
    tokenizer.save_pretrained(out)
    return out
