"""Generation: backends (HF, vLLM, OpenAI-compatible HTTP), token-level prompts, resumable runs,
Ray Data scale-out. Backend modules import their heavy dependencies only when constructed."""

from ._backends import BACKENDS, get_backend
from ._corpora import (
    CORPORA,
    CorpusItem,
    CorpusUnavailable,
    corpora_dir,
    corpus_label,
    gsm8k_values,
    load_corpus,
)
from ._prompts import (
    ANSWER_STATEMENT,
    INSTRUCT_INSTRUCTION,
    MATH_INSTRUCTION,
    PromptBuilder,
    PromptStyle,
    builder_for,
    chat_request,
    default_max_tokens,
    detect_style,
    gsm8k_shots,
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
    "ANSWER_STATEMENT",
    "BACKENDS",
    "CORPORA",
    "INSTRUCT_INSTRUCTION",
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
    "corpora_dir",
    "corpus_label",
    "default_max_tokens",
    "detect_style",
    "gsm8k_shots",
    "gsm8k_values",
    "get_backend",
    "item_seed",
    "load_corpus",
    "make_trace",
    "run_generation",
    "sample_seed",
]
