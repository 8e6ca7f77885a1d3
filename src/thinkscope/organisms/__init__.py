"""Model organisms: tiny reasoning models trained here on tasks with known ground truth.

Each organism is a standard ``LlamaForCausalLM`` saved with ``save_pretrained`` and addressed as
``organism:NAME``; it loads through the same code path as any hub model
(``thinkscope.models.load_model``).
"""

from ._build import (
    corpus,
    evaluate_organism,
    heldout,
    load_organism,
    organism_metadata,
    organism_path,
    train_organism,
)
from ._eval import accuracy_by_k, greedy_completions, is_correct, wilson_interval
from ._formats import FORMATS, PROMPTED_FORMATS, clean_cot, render_completion, render_example
from ._registry import ORGANISMS, OrganismSpec, get_organism
from ._task import Problem, apply, generate_problems, read_corpus, split, write_corpus

__all__ = [
    "FORMATS",
    "PROMPTED_FORMATS",
    "ORGANISMS",
    "OrganismSpec",
    "Problem",
    "accuracy_by_k",
    "apply",
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
    "organism_path",
    "read_corpus",
    "render_completion",
    "render_example",
    "split",
    "train_organism",
    "wilson_interval",
    "write_corpus",
]
