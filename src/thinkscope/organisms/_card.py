"""An organism's card: what it is, how it was trained and how accurate it is, as Markdown.

Written beside the weights (``README.md``, the hub's model-card convention) from the same
``organism.json`` the tests re-check, so the card can never disagree with the stored table.
"""

from __future__ import annotations

from typing import Any

from ._registry import OrganismSpec


def _cell(c: dict[str, Any]) -> str:
    lo, hi = c["ci95"]
    return f"| {c['k']} | {c['n']} | {c['accuracy']:.3f} | [{lo:.3f}, {hi:.3f}] |"


def _table(title: str, cells: list[dict[str, Any]]) -> list[str]:
    return [f"### {title}", "", "| k | n | accuracy | 95% Wilson CI |", "|---|---|---|---|",
            *(_cell(c) for c in cells), ""]


def organism_card(spec: OrganismSpec, meta: dict[str, Any]) -> str:
    """The Markdown card of ``spec`` from its training metadata."""
    cfg = meta.get("config", {})
    lines = [f"# organism:{spec.name}", "", spec.description, "",
             (f"- base: `{spec.base}` (weights from its own package; this folder holds only "
              "the adapter)" if spec.lora else f"- a {spec.layers}-block character-level "
              "LlamaForCausalLM" + (" trained from scratch" if not spec.init_from else "")),
             f"- kind: {spec.kind.value}; chain of thought: {spec.cot}",
             f"- task: modular arithmetic chains (corpora/modarith.md), k <= "
             f"{spec.max_k or 6} steps; completion format `{spec.fmt}`",
             f"- training: {meta.get('method', spec.method)}"
             + (f" from `organism:{spec.init_from}`" if spec.init_from else "")
             + f", {cfg.get('steps', spec.steps)} steps, lr {spec.lr:g}"
             + (f", batch {cfg['batch_size']}" if "batch_size" in cfg else "")
             + f", seed {meta.get('seed', 0)}"]
    if spec.lora:
        lines.append(f"- adapter: LoRA r={spec.lora.r}, alpha={spec.lora.alpha}, every linear "
                     f"layer of blocks {spec.lora.first_layer} and up; "
                     f"{meta.get('trainable_parameters', 0):,} trainable parameters")
    if spec.method == "grpo":
        g = spec.grpo
        lines.append(f"- GRPO: {g.prompts_per_step} prompts x {g.num_generations} samples per "
                     f"step at T = 1, completions up to {g.max_completion_length} tokens, reward "
                     "1 for the exact final answer else 0 (nothing about the chain)"
                     + (f"; mean reward per logging window: {meta['reward_by_window']}"
                        if meta.get("reward_by_window") else ""))
        if g.checkpoint_every:
            lines.append(f"- checkpoints: the adapter every {g.checkpoint_every} steps in "
                         f"`checkpoints/step-XXXX/`, loaded as `organism:{spec.name}@STEP`")
    if "total_seconds" in meta:
        loss = (f", final loss {meta['final_loss']:.4f}" if "final_loss" in meta else "")
        lines.append(f"- time: {meta['total_seconds'] / 60:.1f} min on "
                     f"{meta.get('torch_threads', '?')} CPU threads (training "
                     f"{meta.get('train_seconds', 0) / 60:.1f} min){loss}")
    same = ("seeded; byte-identical reruns are checked for SFT runs, not for GRPO"
            if spec.method == "grpo" else "deterministic by seed")
    lines += ["", f"Reproduce: `thinkscope organisms train {spec.name} --seed "
                  f"{meta.get('seed', 0)}` ({same}).", ""]
    if meta.get("heldout_accuracy"):
        lines += _table("Held-out accuracy (greedy, exact final answer)",
                        meta["heldout_accuracy"])
    if meta.get("heldout_accuracy_t1"):
        lines += _table("Held-out accuracy (sampled at T = 1, the training temperature)",
                        meta["heldout_accuracy_t1"])
    if meta.get("start_heldout_accuracy_t1"):
        lines += _table(f"Its start, `organism:{spec.init_from}`, sampled at T = 1",
                        meta["start_heldout_accuracy_t1"])
    return "\n".join(lines)
