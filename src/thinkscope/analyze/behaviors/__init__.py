"""Reasoning behaviours per segment (Venhoff et al. 2025): keyword, classifier and LLM-judge
detectors behind one interface, agreement metrics, and per-trace/per-model tables."""

from ._agreement import agreement, format_agreement
from ._classifier import BehaviorClassifier, shipped_artifact_dir
from ._consistency import label_consistency
from ._detectors import DETECTORS, Detector, get_detector
from ._fit import fit_classifier, gold_segments
from ._judge import (
    JUDGE_PROMPT,
    JudgeDetector,
    JudgeParseError,
    build_judge_prompt,
    parse_judge_reply,
)
from ._keyword import LEXICON, KeywordDetector, keyword_hits
from ._labels import BEHAVIORS, THOUGHT_ANCHORS_TAGS, normalise_label
from ._run import BehaviorResult, label_traces, summarize_behaviors, write_behaviors
from ._segments import SegmentInput, trace_segments

__all__ = [
    "BEHAVIORS",
    "DETECTORS",
    "JUDGE_PROMPT",
    "LEXICON",
    "THOUGHT_ANCHORS_TAGS",
    "BehaviorClassifier",
    "BehaviorResult",
    "Detector",
    "JudgeDetector",
    "JudgeParseError",
    "KeywordDetector",
    "SegmentInput",
    "agreement",
    "format_agreement",
    "build_judge_prompt",
    "fit_classifier",
    "get_detector",
    "gold_segments",
    "keyword_hits",
    "label_consistency",
    "label_traces",
    "normalise_label",
    "parse_judge_reply",
    "shipped_artifact_dir",
    "summarize_behaviors",
    "trace_segments",
    "write_behaviors",
]
