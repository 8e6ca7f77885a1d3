"""Model organisms: tiny reasoning models trained here on tasks with known ground truth.

Two kinds, both addressed as ``organism:NAME`` and loaded through the same code path as any hub
model (``thinkscope.models.load_model``): char-level ones, standard ``LlamaForCausalLM`` models
trained from scratch and saved with ``save_pretrained``; and real-base ones, LoRA adapters on a
pretrained LM (SmolLM2-135M-Instruct) that are merged into their base on first use.
"""

from ._build import (
    checkpoint_steps,
    checkpoint_tokens,
    corpus,
    evaluate_organism,
    heldout,
    load_organism,
    organism_metadata,
    organism_path,
    stored_path,
    train_organism,
)
from ._card import organism_card
from ._eval import accuracy_by_k, greedy_completions, is_correct, wilson_interval
from ._formats import FORMATS, PROMPTED_FORMATS, clean_cot, render_completion, render_example
from ._registry import (
    ORGANISMS,
    SMOLLM2,
    GrpoSpec,
    LoraSpec,
    OrganismSpec,
    get_organism,
    split_checkpoint,
)
from ._task import Problem, apply, generate_problems, read_corpus, split, write_corpus

__all__ = [
    "FORMATS",
    "PROMPTED_FORMATS",
    "ORGANISMS",
    "SMOLLM2",
    "GrpoSpec",
    "LoraSpec",
    "OrganismSpec",
    "Problem",
    "accuracy_by_k",
    "apply",
    "checkpoint_steps",
    "checkpoint_tokens",
    "clean_cot",
    "corpus",
    "evaluate_organism",
    "generate_problems",
    "get_organism",
    "greedy_completions",
    "heldout",
    "is_correct",
    "load_organism",
    "organism_metadata",
    "organism_card",
    "organism_path",
    "read_corpus",
    "render_completion",
    "render_example",
    "split",
    "split_checkpoint",
    "stored_path",
    "train_organism",
    "wilson_interval",
    "write_corpus",
]
