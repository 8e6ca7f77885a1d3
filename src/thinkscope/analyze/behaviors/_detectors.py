"""One interface for the three detectors, and the registry that names them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ...registry import Registry
from ._segments import SegmentInput


class Detector(Protocol):
    """Labels segments; ``name`` is recorded beside every number it produces."""

    name: str

    def predict(self, segments: Sequence[SegmentInput], question: str = "") -> list[str | None]: ...


def _keyword(**_: Any) -> Detector:
    from ._keyword import KeywordDetector

    return KeywordDetector()


def _classifier(artifact: str | Path | None = None, **_: Any) -> Detector:
    from ._classifier import BehaviorClassifier

    return BehaviorClassifier.load(artifact)


def _judge(backend: Any = None, **kw: Any) -> Detector:
    from ._judge import JudgeDetector

    if backend is None:
        raise ValueError("the judge detector needs a backend (e.g. --judge-backend openai "
                         "--judge-model NAME --base-url URL)")
    return JudgeDetector(backend, **{k: v for k, v in kw.items() if k in ("max_tokens",)})


DETECTORS: Registry[Callable[..., Detector]] = Registry("detector")
DETECTORS.add("keyword", _keyword, "cue phrases per behaviour (fast, transparent baseline)")
DETECTORS.add("classifier", _classifier, "TF-IDF + logistic regression on labelled segments "
              "(the shipped default; refit with `analyze behaviors fit`)")
DETECTORS.add("judge", _judge, "an LLM labels each segment in context (needs a backend)")


def get_detector(name: str, **kwargs: Any) -> Detector:
    """Construct detector ``name``; unknown names list the valid ones."""
    factory = DETECTORS.lookup(name)
    return factory(**kwargs)
