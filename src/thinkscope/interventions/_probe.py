"""A linear probe for a piece of knowledge, read in students that were never told it.

The probe is trained on the base model's hidden states at the last prompt token, with the
knowledge in the system prompt (label 1) and with a system prompt of the same form stating other
knowledge of the same kind (label 0: another animal, number or word, ``Knowledge.contrast``),
over the knowledge's questions and teacher-task prompts (folds grouped by prompt, so no held-out
prompt was seen in either condition). Contrasting with other preferences rather than with no
system prompt makes the probe read which preference is held, not whether there is a system
prompt. Its grouped cross-validated accuracy per layer, beside shuffled labels and the majority
class, says whether the knowledge is linearly readable at all. The probe of the chosen layer is
then applied to each student, prompted without any system prompt: a student that took the
knowledge in from its training data should sit further along the direction than the control
student (mean probe probability over prompts, bootstrap CI over prompts). The positive-control
student says whether the direction transfers to a model that holds the preference without
being told it; if it does not, a null on the treated student says nothing.

scikit-learn's logistic regression on a few hundred rows: the project's trace-based probing
(``thinkscope.probing``) targets values written in traces, not a condition of the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..stats import mean_ci, wilson_interval
from ._knowledge import Knowledge


def last_token_states(model_ref: str, rows: Sequence[tuple[str | None, str]]) -> np.ndarray:
    """Hidden states (layers x rows x width) at the last token of each (system, user) prompt."""
    import torch

    from ..models import load_model

    loaded = load_model(model_ref, device="cpu")
    tok = loaded.tokenizer
    states = []
    with torch.no_grad():
        for system, user in rows:
            msgs = ([{"role": "system", "content": system}] if system else []) + \
                [{"role": "user", "content": user}]
            raw = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
            ids = list(raw["input_ids"] if hasattr(raw, "keys") else raw)
            out = loaded.model(torch.tensor([ids]), output_hidden_states=True)
            states.append(torch.stack([h[0, -1] for h in out.hidden_states]).float().numpy())
    return np.stack(states, axis=1)


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
                    prompts: Sequence[str], seed: int = 0, min_layer: int = 1) -> dict[str, Any]:
    """Train the probe on ``base_ref`` and read it in each of ``students`` (label -> model ref).

    The layer is chosen among ``min_layer`` and above: with adapters on the upper blocks only,
    the states below them are the base's own in every student, and a probe there reads the same
    value in all of them.

    Returns per-layer grouped CV accuracy with its baselines, the chosen layer, and per model
    the mean probe probability over ``prompts`` with a bootstrap CI.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    contrast = knowledge.contrast or (None,)
    n = len(prompts)
    # label 0: prompt i under contrast system prompt i mod len(contrast) (as many rows as label 1)
    both = last_token_states(base_ref, [(knowledge.system, p) for p in prompts]
                             + [(contrast[i % len(contrast)], p) for i, p in enumerate(prompts)])
    told, plain = both[:, :n], both[:, n:]
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
    eligible = layers[max(1, min_layer):]
    top = max(e["accuracy"] for e in eligible)
    depth = 2 * (len(layers) - 1) / 3
    best = min((e for e in eligible if e["accuracy"] >= top - 0.01),
               key=lambda e: abs(e["layer"] - depth))
    layer = best["layer"]
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000,
                                                             random_state=seed))
    clf.fit(np.concatenate([told[layer], plain[layer]]), y)
    read = {}
    for label, ref in students.items():
        states = last_token_states(ref, [(None, p) for p in prompts])[layer]
        probs = clf.predict_proba(states)[:, 1]
        read[label] = mean_ci(list(map(float, probs)), groups=list(range(n)), seed=seed)
    return {"knowledge": knowledge.name, "base": base_ref, "n_prompts": n, "layers": layers,
            "min_layer": min_layer, "layer": layer, "best": best, "majority": 0.5, "students": read}
