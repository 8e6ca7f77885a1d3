"""Generation: backends (HF, vLLM, OpenAI-compatible HTTP), token-level prompts, resumable runs,
Ray Data scale-out. Backend modules import their heavy dependencies only when constructed."""

from ._backends import BACKENDS, get_backend
from ._corpora import CORPORA, CorpusItem, CorpusUnavailable, corpus_label, load_corpus
from ._prompts import (
    MATH_INSTRUCTION,
    PromptBuilder,
    PromptStyle,
    builder_for,
    chat_request,
    detect_style,
)
from ._protocol import (
    Backend,
    BackendError,
    Completion,
    GenerationRequest,
    Sampling,
    sample_seed,
)
from ._runner import RunSummary, item_seed, make_trace, run_generation

__all__ = [
    "BACKENDS",
    "CORPORA",
    "MATH_INSTRUCTION",
    "Backend",
    "BackendError",
    "Completion",
    "CorpusItem",
    "CorpusUnavailable",
    "GenerationRequest",
    "PromptBuilder",
    "PromptStyle",
    "RunSummary",
    "Sampling",
    "builder_for",
    "chat_request",
    "corpus_label",
    "detect_style",
    "get_backend",
    "item_seed",
    "load_corpus",
    "make_trace",
    "run_generation",
    "sample_seed",
]
