"""CoT faithfulness by intervention on the CoT: early answering (truncation), adding mistakes,
filler-token replacement — with prefix-cache reuse on the HF backend."""

from ._access import resample_tokens
from ._branches import BranchStats, forced_branches, forced_branches_many
from ._cot import TokenCoT, answer_from, token_cot
from ._early import FRACTIONS, aoc, early_answering, summarize_early, trace_aoc
from ._filler import CONDITIONS, filler_control, summarize_filler
from ._hints import (
    HINT_TEMPLATES,
    VERBALISATION_PROMPT,
    hint_value,
    hinted_items,
    hinted_question,
    parse_yes_no,
    run_hints,
    summarize_hints,
)
from ._importance import answer_kl, sentence_importance, summarize_importance
from ._mistakes import REWRITE_PROMPT, mistakes, rewrite_prompt, summarize_mistakes
from ._paraphrase import PARAPHRASE_PROMPT, paraphrase_control, summarize_paraphrase
from ._similarity import same_meaning, similarity_method
from ._write import (
    write_early,
    write_filler,
    write_hints,
    write_importance,
    write_mistakes,
    write_paraphrase,
)

__all__ = [
    "CONDITIONS",
    "FRACTIONS",
    "HINT_TEMPLATES",
    "PARAPHRASE_PROMPT",
    "REWRITE_PROMPT",
    "VERBALISATION_PROMPT",
    "BranchStats",
    "TokenCoT",
    "answer_from",
    "answer_kl",
    "aoc",
    "early_answering",
    "filler_control",
    "forced_branches",
    "forced_branches_many",
    "hint_value",
    "hinted_items",
    "hinted_question",
    "mistakes",
    "paraphrase_control",
    "parse_yes_no",
    "resample_tokens",
    "rewrite_prompt",
    "run_hints",
    "same_meaning",
    "sentence_importance",
    "similarity_method",
    "summarize_early",
    "summarize_filler",
    "summarize_hints",
    "summarize_importance",
    "summarize_mistakes",
    "summarize_paraphrase",
    "token_cot",
    "trace_aoc",
    "write_early",
    "write_filler",
    "write_hints",
    "write_importance",
    "write_mistakes",
    "write_paraphrase",
]
