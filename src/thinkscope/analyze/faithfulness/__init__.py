"""CoT faithfulness by intervention on the CoT: early answering (truncation), adding mistakes,
filler-token replacement — with prefix-cache reuse on the HF backend."""

from ._branches import BranchStats, forced_branches, forced_branches_many
from ._cot import TokenCoT, answer_from, token_cot
from ._early import FRACTIONS, aoc, early_answering, summarize_early, trace_aoc
from ._filler import CONDITIONS, filler_control, summarize_filler
from ._importance import answer_kl, sentence_importance, summarize_importance
from ._mistakes import REWRITE_PROMPT, mistakes, rewrite_prompt, summarize_mistakes
from ._similarity import same_meaning, similarity_method
from ._write import write_early, write_filler, write_importance, write_mistakes

__all__ = [
    "CONDITIONS",
    "FRACTIONS",
    "REWRITE_PROMPT",
    "BranchStats",
    "TokenCoT",
    "answer_from",
    "answer_kl",
    "aoc",
    "early_answering",
    "filler_control",
    "forced_branches",
    "forced_branches_many",
    "mistakes",
    "rewrite_prompt",
    "same_meaning",
    "sentence_importance",
    "similarity_method",
    "summarize_early",
    "summarize_filler",
    "summarize_importance",
    "summarize_mistakes",
    "token_cot",
    "trace_aoc",
    "write_early",
    "write_filler",
    "write_importance",
    "write_mistakes",
]
