"""The classifier detector: TF-IDF over segment documents + multinomial logistic regression
(scikit-learn), saved as a safe artifact (JSON vocabulary + safetensors arrays, no pickle)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ._features import segment_document
from ._segments import SegmentInput

ARTIFACT_JSON = "behavior_classifier.json"
ARTIFACT_ARRAYS = "behavior_classifier.safetensors"
FORMAT_VERSION = 1
#: Vectoriser settings; part of the artifact so a refit and a reload read text the same way.
VECTORIZER_PARAMS: dict[str, Any] = {
    "lowercase": True,
    "token_pattern": r"(?u)\b\w[\w\-']*\b|\?",
    "ngram_range": [1, 2],
    "sublinear_tf": True,
    "norm": "l2",
}


def shipped_artifact_dir() -> Path:
    """Directory of the classifier that ships with the package."""
    return Path(str(resources.files("thinkscope.analyze.behaviors") / "artifacts"))


class BehaviorClassifier:
    """Fit/predict segment behaviours; ``save``/``load`` round-trip without pickle.

    Args:
        C: inverse regularisation strength of the logistic regression.
        min_df: minimum number of segments a feature must occur in.
        max_features: vocabulary cap (most frequent first).
        class_weight: ``"balanced"`` up-weights rare behaviours such as backtracking.
    """

    name = "classifier"
    #: pure CPU work on in-memory state: ``label_traces`` may fork it over the cores
    parallel_safe = True

    def __init__(self, C: float = 4.0, min_df: int = 2, max_features: int = 40000,
                 class_weight: str | None = "balanced") -> None:
        self.C = C
        self.min_df = min_df
        self.max_features = max_features
        self.class_weight = class_weight
        self.meta: dict[str, Any] = {}

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        params = dict(VECTORIZER_PARAMS, ngram_range=tuple(VECTORIZER_PARAMS["ngram_range"]))
        if vocabulary is not None:
            return TfidfVectorizer(vocabulary=vocabulary, **params)
        return TfidfVectorizer(min_df=self.min_df, max_features=self.max_features, **params)

    def fit(self, segments: Sequence[SegmentInput], labels: Sequence[str]) -> BehaviorClassifier:
        from sklearn.linear_model import LogisticRegression

        docs = [segment_document(s) for s in segments]
        self.vectorizer_ = self._vectorizer()
        x = self.vectorizer_.fit_transform(docs)
        self.model_ = LogisticRegression(C=self.C, max_iter=3000, class_weight=self.class_weight)
        self.model_.fit(x, list(labels))
        self.meta = {"n_segments": len(docs), "labels": sorted(set(labels))}
        return self

    def predict(self, segments: Sequence[SegmentInput], question: str = "") -> list[str | None]:
        if not segments:
            return []
        x = self.vectorizer_.transform([segment_document(s) for s in segments])
        return [str(y) for y in self.model_.predict(x)]

    def predict_batch(self, batches: Sequence[Sequence[SegmentInput]]) -> list[list[str | None]]:
        """Labels for several traces' segments in one vectorised call (much faster than one
        call per trace)."""
        flat = [s for b in batches for s in b]
        labels = self.predict(flat)
        out, pos = [], 0
        for b in batches:
            out.append(labels[pos : pos + len(b)])
            pos += len(b)
        return out

    def predict_proba(self, segments: Sequence[SegmentInput]) -> np.ndarray:
        x = self.vectorizer_.transform([segment_document(s) for s in segments])
        return np.asarray(self.model_.predict_proba(x))

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.model_.classes_]

    def save(self, directory: str | Path) -> Path:
        """Write the vocabulary and settings as JSON and the weights as safetensors."""
        from safetensors.numpy import save_file

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        vocab = self.vectorizer_.vocabulary_
        terms = [""] * len(vocab)
        for term, idx in vocab.items():
            terms[idx] = term
        (out / ARTIFACT_JSON).write_text(json.dumps({
            "format_version": FORMAT_VERSION,
            "vectorizer": VECTORIZER_PARAMS,
            "params": {"C": self.C, "min_df": self.min_df, "max_features": self.max_features,
                       "class_weight": self.class_weight},
            "classes": self.classes,
            "terms": terms,
            "meta": self.meta,
        }, ensure_ascii=False) + "\n")
        save_file({
            "idf": np.ascontiguousarray(self.vectorizer_.idf_, dtype=np.float32),
            "coef": np.ascontiguousarray(self.model_.coef_, dtype=np.float32),
            "intercept": np.ascontiguousarray(self.model_.intercept_, dtype=np.float32),
        }, str(out / ARTIFACT_ARRAYS))
        return out

    @classmethod
    def load(cls, directory: str | Path | None = None) -> BehaviorClassifier:
        """Rebuild a fitted classifier from :meth:`save`'s files (default: the shipped one)."""
        from safetensors.numpy import load_file
        from sklearn.linear_model import LogisticRegression

        src = Path(directory) if directory is not None else shipped_artifact_dir()
        spec_path = src / ARTIFACT_JSON
        if not spec_path.is_file():
            raise FileNotFoundError(
                f"{spec_path}: no behaviour classifier here; fit one with "
                "`thinkscope analyze behaviors fit`")
        spec = json.loads(spec_path.read_text())
        if spec.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{spec_path}: unsupported format_version {spec.get('format_version')}")
        arrays = load_file(str(src / ARTIFACT_ARRAYS))
        self = cls(**spec["params"])
        self.meta = spec.get("meta", {})
        vocab = {t: i for i, t in enumerate(spec["terms"])}
        vec = self._vectorizer(vocab)
        vec.fit(["placeholder"])  # fixes the vocabulary; the IDF weights are replaced below
        vec.idf_ = arrays["idf"].astype(np.float64)
        model = LogisticRegression()
        model.classes_ = np.array(spec["classes"])
        model.coef_ = arrays["coef"].astype(np.float64)
        model.intercept_ = arrays["intercept"].astype(np.float64)
        model.n_features_in_ = len(vocab)
        self.vectorizer_, self.model_ = vec, model
        return self
