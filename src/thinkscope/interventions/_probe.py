"""A linear probe for a piece of knowledge, read in students that were never told it.

The probe is trained on the base model's hidden states at the last prompt token, with the
knowledge in the system prompt (label 1) and without it (label 0), over the knowledge's
questions and teacher-task prompts (folds grouped by prompt, so no held-out prompt was seen in
either condition). Its grouped cross-validated accuracy per layer, beside shuffled labels and the
majority class, says whether the knowledge is linearly readable at all. The probe of the best
layer is then applied to each student, prompted without any system prompt: a student that took
the knowledge in from its training data should sit further along the direction than the control
student (mean probe probability over prompts, bootstrap CI over prompts).

scikit-learn's logistic regression on a few hundred rows: the project's trace-based probing
(``thinkscope.probing``) targets values written in traces, not a condition of the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..stats import mean_ci, wilson_interval
from ._knowledge import Knowledge


def last_token_states(model_ref: str, prompts: Sequence[str],
                      systems: Sequence[str | None] = (None,)) -> list[np.ndarray]:
    """Hidden states (layers x prompts x width) at each prompt's last token, one array per
    system prompt in ``systems`` (the model is loaded once)."""
    import torch

    from ..models import load_model

    loaded = load_model(model_ref, device="cpu")
    tok = loaded.tokenizer
    arrays = []
    with torch.no_grad():
        for system in systems:
            rows = []
            for p in prompts:
                msgs = ([{"role": "system", "content": system}] if system else []) + \
                    [{"role": "user", "content": p}]
                raw = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
                ids = list(raw["input_ids"] if hasattr(raw, "keys") else raw)
                out = loaded.model(torch.tensor([ids]), output_hidden_states=True)
                rows.append(torch.stack([h[0, -1] for h in out.hidden_states]).float().numpy())
            arrays.append(np.stack(rows, axis=1))
    return arrays


def _cv_accuracy(x: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    hits = 0
    for tr, te in GroupKFold(n_splits=5).split(x, y, groups):
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000,
                                                                 random_state=seed))
        clf.fit(x[tr], y[tr])
        hits += int((clf.predict(x[te]) == y[te]).sum())
    return hits / len(y)


def knowledge_probe(knowledge: Knowledge, base_ref: str, students: dict[str, str],
                    prompts: Sequence[str], seed: int = 0) -> dict[str, Any]:
    """Train the probe on ``base_ref`` and read it in each of ``students`` (label -> model ref).

    Returns per-layer grouped CV accuracy with its baselines, the chosen layer, and per model
    the mean probe probability over ``prompts`` with a bootstrap CI.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    told, plain = last_token_states(base_ref, prompts, (knowledge.system, None))
    n = len(prompts)
    y = np.array([1] * n + [0] * n)
    groups = np.array(list(range(n)) * 2)
    rng = np.random.default_rng(seed)
    layers: list[dict[str, Any]] = []
    for layer in range(told.shape[0]):
        x = np.concatenate([told[layer], plain[layer]])
        acc = _cv_accuracy(x, y, groups, seed)
        shuffled = _cv_accuracy(x, rng.permutation(y), groups, seed)
        lo, hi = wilson_interval(round(acc * len(y)), len(y))
        layers.append({"layer": layer, "accuracy": round(acc, 4), "ci95": [lo, hi],
                       "shuffled": round(shuffled, 4), "n": len(y)})
    # the layer is chosen by grouped CV among all but the embeddings (every layer's accuracy is
    # reported, so the selection is visible); a system prompt is read perfectly at many layers,
    # and among ties the one nearest two thirds of the depth is taken, past the layers that
    # mostly copy the prompt's tokens
    top = max(e["accuracy"] for e in layers[1:])
    depth = 2 * (len(layers) - 1) / 3
    best = min((e for e in layers[1:] if e["accuracy"] >= top - 0.01),
               key=lambda e: abs(e["layer"] - depth))
    layer = best["layer"]
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000,
                                                             random_state=seed))
    clf.fit(np.concatenate([told[layer], plain[layer]]), y)
    read = {}
    for label, ref in students.items():
        states = last_token_states(ref, prompts)[0][layer]
        probs = clf.predict_proba(states)[:, 1]
        read[label] = mean_ci(list(map(float, probs)), groups=list(range(n)), seed=seed)
    return {"knowledge": knowledge.name, "base": base_ref, "n_prompts": n, "layers": layers,
            "layer": layer, "best": best, "majority": 0.5, "students": read}
