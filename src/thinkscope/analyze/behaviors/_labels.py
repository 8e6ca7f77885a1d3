"""The behaviour labels (Venhoff et al. 2025) and how other tools' tags map onto them."""

from __future__ import annotations

from ...traces._labels import BEHAVIORS

__all__ = ["BEHAVIORS", "THOUGHT_ANCHORS_TAGS", "normalise_label"]

#: Thought Anchors' sentence tags -> our labels, only where the definitions correspond.
#: ``plan_generation`` and ``final_answer_emission`` have no counterpart and map to ``None``;
#: Thought Anchors' ``uncertainty_management`` covers both confusion and re-evaluation, so it maps
#: to ``uncertainty-estimation`` (the broader of the two).
THOUGHT_ANCHORS_TAGS: dict[str, str | None] = {
    "problem_setup": "initializing",
    "plan_generation": None,
    "fact_retrieval": "adding-knowledge",
    "active_computation": "deduction",
    "result_consolidation": "deduction",
    "self_checking": "example-testing",
    "uncertainty_management": "uncertainty-estimation",
    "final_answer_emission": None,
}


def normalise_label(label: str | None) -> str | None:
    """A label in our vocabulary, or ``None`` (unknown tags are not guessed at)."""
    if label is None:
        return None
    key = label.strip().lower().replace("_", "-").replace(" ", "-")
    if key in BEHAVIORS:
        return key
    ta = THOUGHT_ANCHORS_TAGS.get(key.replace("-", "_"))
    return ta
