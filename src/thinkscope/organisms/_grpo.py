"""Outcome-reward reinforcement learning (GRPO) of an organism with TRL's ``GRPOTrainer``.

The reward looks only at the final answer (1 if it equals the ground truth, else 0): nothing
rewards or punishes how the chain is written. That is the point of the ``rl-outcome`` organism:
it tests the hypothesis that outcome-based RL places no constraint on clean reasoning.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any

from ..text import extract_answer
from ._sft import prompt_text
from ._task import Problem


def outcome_reward(completions: list[Any], answer: list[str], **_: Any) -> list[float]:
    """1.0 when the extracted final answer equals the ground truth, else 0.0."""
    rewards = []
    for comp, gold in zip(completions, answer):
        text = comp if isinstance(comp, str) else str(comp)
        got = extract_answer(text, starts_inside_think=True).value
        rewards.append(1.0 if got is not None and got.strip() == gold else 0.0)
    return rewards


def train_grpo(
    model: Any,
    tokenizer: Any,
    problems: list[Problem],
    steps: int,
    lr: float,
    seed: int = 0,
    num_generations: int = 8,
    prompts_per_step: int = 8,
    max_completion_length: int = 160,
    progress: bool = True,
    loss_type: str = "dr_grpo",
    mask_truncated_completions: bool = True,
    scale_rewards: str = "group",
    checkpoint_every: int = 0,
    on_checkpoint: Callable[[Any, int, int], None] | None = None,
    logging_steps: int = 10,
) -> dict[str, Any]:
    """Run GRPO on ``model`` in place; returns run metadata (mean reward per logging window).

    Defaults that matter on this task: ``dr_grpo`` loss (no length normalisation, so long wrong
    completions are not penalised less per token), truncated completions masked out of the loss
    (a cut-off self-correcting chain is not evidence of a wrong answer), room for the longest
    chains (160 tokens), and a small learning rate: at 1e-4 and above the run drifts away from
    the SFT policy and accuracy falls.

    ``on_checkpoint(model, step, tokens)`` is called at step 0 and every ``checkpoint_every``
    steps, with the prompt + completion tokens the run has processed so far (the longitudinal
    analysis measures the policy along the run).
    """
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    data = Dataset.from_dict({
        "prompt": [prompt_text(tokenizer, p) for p in problems],
        "answer": [str(p.answer) for p in problems],
    })
    rewards: list[float] = []

    class _Log(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kw: Any) -> None:
            if logs and "reward" in logs:
                rewards.append(float(logs["reward"]))

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if on_checkpoint and checkpoint_every and state.global_step % checkpoint_every == 0:
                on_checkpoint(model, int(state.global_step),
                              int(getattr(state, "num_input_tokens_seen", 0) or 0))

    tokenizer.padding_side = "left"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = GRPOConfig(
            output_dir=tmp,
            per_device_train_batch_size=prompts_per_step * num_generations,
            num_generations=num_generations,
            max_completion_length=max_completion_length,
            learning_rate=lr,
            lr_scheduler_type="constant_with_warmup",
            warmup_steps=10,
            max_steps=steps,
            beta=0.0,
            temperature=1.0,
            loss_type=loss_type,
            mask_truncated_completions=mask_truncated_completions,
            scale_rewards=scale_rewards,
            logging_steps=logging_steps,
            save_strategy="no",
            report_to="none",
            use_cpu=True,
            bf16=False,
            seed=seed,
            data_seed=seed,
            disable_tqdm=not progress,
            dataloader_num_workers=0,
            # TRL turns activation recomputation on by default; it buys memory these models do
            # not need at the price of a second forward pass per step (the math is the same)
            gradient_checkpointing=False,
        )
        trainer = GRPOTrainer(
            model=model, reward_funcs=outcome_reward,  # type: ignore[arg-type]
            args=cfg, train_dataset=data,
            processing_class=tokenizer, callbacks=[_Log()],
        )
        if on_checkpoint and checkpoint_every:
            on_checkpoint(model, 0, 0)
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
    model.eval()
    return {
        "method": "grpo (trl.GRPOTrainer)",
        "config": {"steps": steps, "lr": lr, "seed": seed, "num_generations": num_generations,
                   "prompts_per_step": prompts_per_step, "beta": 0.0, "loss_type": loss_type,
                   "mask_truncated_completions": mask_truncated_completions,
                   "max_completion_length": max_completion_length,
                   "reward": "exact final answer (outcome only)",
                   "checkpoint_every": checkpoint_every},
        "reward_by_window": [round(r, 4) for r in rewards],
        "train_seconds": round(seconds, 1),
        "train_problems": len(problems),
    }
