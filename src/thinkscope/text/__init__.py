"""Text utilities: think-tag split, sentence/step segmentation, answer extraction, grading."""

from ._answer import ExtractedAnswer, extract_answer, last_boxed
from ._grade import grade, grade_many, same_answer
from ._hints import HINT_TEMPLATES, hinted_question, strip_hint
from ._math import find_math_spans, mask_spans, matching_brace
from ._reasoning import split_reasoning
from ._segment import Segment, segment_sentences, segment_text
from ._think import THINK_CLOSE, THINK_OPEN, ThinkSplit, prompt_opens_think, split_think

__all__ = [
    "HINT_TEMPLATES",
    "THINK_CLOSE",
    "THINK_OPEN",
    "ExtractedAnswer",
    "Segment",
    "ThinkSplit",
    "extract_answer",
    "find_math_spans",
    "grade",
    "grade_many",
    "same_answer",
    "hinted_question",
    "strip_hint",
    "last_boxed",
    "mask_spans",
    "matching_brace",
    "prompt_opens_think",
    "segment_sentences",
    "segment_text",
    "split_reasoning",
    "split_think",
]
