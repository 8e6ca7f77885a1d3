"""Probes: the scikit-learn contract, grouped splits, controls, persistence, targets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from thinkscope.probing import (
    LogisticProbe,
    MassMeanProbe,
    control_labels,
    convergence_summary,
    evaluate_probe,
    get_target,
    grouped_folds,
    load_probe,
    save_probe,
    target_table,
)
from thinkscope.traces import ModelInfo, Prompt, Trace


@parametrize_with_checks([MassMeanProbe(), LogisticProbe(Cs=(1.0,))])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def _planted(n_problems=120, per=4, d=16, seed=0):
    """Binary labels readable along one direction, several rows per problem."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    X, y, g = [], [], []
    for p in range(n_problems):
        label = p % 2
        for _ in range(per):
            X.append(rng.normal(size=d) + (1.5 if label else -1.5) * w / np.linalg.norm(w))
            y.append(label)
            g.append(f"p{p}")
    return np.array(X), np.array(y), np.array(g), w


def test_clone_and_grid_search():
    X, y, g, _ = _planted()
    probe = LogisticProbe(Cs=(0.1, 1.0))
    assert clone(probe).get_params() == probe.get_params()
    gs = GridSearchCV(LogisticProbe(), {"Cs": [(0.01,), (1.0,)]}, cv=3).fit(X, y)
    assert gs.best_score_ > 0.9


def test_mass_mean_direction_is_the_difference_of_means():
    X, y, _, w = _planted()
    probe = MassMeanProbe().fit(X, y)
    np.testing.assert_allclose(probe.directions_[0], X[y == 1].mean(0) - X[y == 0].mean(0))
    cos = probe.directions_[0] @ w / np.linalg.norm(probe.directions_[0]) / np.linalg.norm(w)
    assert cos > 0.9
    assert (probe.predict(X) == y).mean() > 0.9


def test_logistic_direction_in_input_space():
    X, y, _, w = _planted()
    X = X * 5 + 3  # scaling must not change what is predicted
    probe = LogisticProbe().fit(X, y)
    raw = X @ probe.coef_[0] + probe.intercept_[0]
    assert ((raw > 0).astype(int) == probe.predict(X)).all()
    assert probe.C_ in probe.Cs


def test_grouped_folds_never_split_a_problem():
    g = np.repeat([f"p{i}" for i in range(30)], 7)
    for tr, te in grouped_folds(g, 5):
        assert not set(g[tr]) & set(g[te])


def test_grouped_cv_does_not_score_memorised_problems():
    """Each problem has its own feature vector and a random label: a token-level split would
    memorise it; a problem-grouped split must be at chance."""
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(200, 256))
    labels = rng.integers(0, 2, 200)
    X = np.repeat(centers, 5, axis=0) + 0.01 * rng.normal(size=(1000, 256))
    y = np.repeat(labels, 5)
    g = np.repeat(np.arange(200), 5)
    rows = {r["condition"]: r for r in evaluate_probe(LogisticProbe(Cs=(1.0,)), X, y, g)}
    assert rows["task"]["accuracy_lo"] < 0.5 < rows["task"]["accuracy_hi"] + 0.05
    assert rows["task"]["accuracy"] < 0.62
    from sklearn.model_selection import KFold, cross_val_score

    leaky = cross_val_score(LogisticProbe(Cs=(1.0,)), X, y, cv=KFold(5, shuffle=True,
                                                                        random_state=0)).mean()
    assert leaky > 0.9  # what the grouped split protects against


def test_input_grouped_folds_separate_lookup_features_from_value_codes():
    """Chains share their first step's inputs (s, a); the value after it is (s + a) mod 10.
    Random features of the inputs decode it when held-out problems reuse training inputs
    (problem-grouped folds) but not on unseen inputs (input-grouped folds); a representation
    that codes the value itself decodes it both ways."""
    rng = np.random.default_rng(0)
    inputs = [(s, a) for s in range(10) for a in range(10)]
    feats = {i: rng.normal(size=64) for i in inputs}  # a random function of the inputs
    codes = rng.normal(size=(10, 64))  # one direction per value
    rows = [(i, p) for p in range(800) for i in [inputs[rng.integers(len(inputs))]]]
    y = np.array([(s + a) % 10 for (s, a), _ in rows])
    by_problem = np.array([p for _, p in rows])
    by_input = np.array([f"{s},{a}" for (s, a), _ in rows])
    noise = 0.3 * rng.normal(size=(len(rows), 64))
    lookup = np.stack([feats[i] for i, _ in rows]) + noise
    value = codes[y] + noise

    def acc(X, g):
        return evaluate_probe(LogisticProbe(Cs=(1.0,)), X, y, g, conditions=("task",))[0]

    assert acc(lookup, by_problem)["accuracy"] > 0.6
    assert acc(lookup, by_input)["accuracy_hi"] < 0.3  # chance is 0.1
    assert acc(value, by_problem)["accuracy"] > 0.9 and acc(value, by_input)["accuracy"] > 0.9


def test_planted_signal_found_shuffled_at_chance_and_ci_covers():
    X, y, g, _ = _planted()
    rows = {r["condition"]: r for r in evaluate_probe(MassMeanProbe(), X, y, g,
                                                      control=control_labels(g, y))}
    assert rows["task"]["accuracy"] > 0.9 and rows["task"]["auroc"] > 0.95
    assert rows["task"]["accuracy_lo"] <= rows["task"]["accuracy"] <= rows["task"]["accuracy_hi"]
    assert abs(rows["shuffled"]["accuracy"] - 0.5) < 0.12
    assert abs(rows["majority"]["accuracy"] - 0.5) < 0.12
    assert rows["task"]["n_problems"] == 120 and rows["task"]["n_rows"] == 480


def test_fits_that_hit_max_iter_are_reported_in_one_warning():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y, g, _ = _planted()
    probe = LogisticProbe(Cs=(1.0,), max_iter=1, tol=1e-12)
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        with convergence_summary():
            evaluate_probe(probe, X, y, g, control=control_labels(g, y))  # ~15 fits
            warnings.warn("something else", UserWarning, stacklevel=1)
    conv = [w for w in outer if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and "stopped at their iteration limit" in str(conv[0].message)
    assert int(str(conv[0].message).split()[0]) > 5  # every unconverged fit counted
    assert [str(w.message) for w in outer if w.category is UserWarning] == ["something else"]
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        with convergence_summary():
            evaluate_probe(LogisticProbe(Cs=(1.0,)), X, y, g)
    assert not [w for w in quiet if issubclass(w.category, ConvergenceWarning)]


def test_control_labels_are_a_function_of_the_key():
    keys = ["a", "b", "a", "c", "b", "a"]
    y = np.array([0, 1, 2, 0, 1, 2])
    c = control_labels(keys, y, seed=3)
    assert c[0] == c[2] == c[5] and c[1] == c[4]
    assert set(c) <= set(y)
    assert (control_labels(keys, y, seed=3) == c).all()
    # the draw does not depend on the order of the rows (batching decides it), only on the keys
    order = [5, 3, 0, 4, 1, 2]
    shuffled = control_labels([keys[i] for i in order], y[order], seed=3)
    assert (shuffled == c[order]).all()


def test_several_control_draws_average_single_draws():
    X, y, g, _ = _planted()
    keys = [f"k{i % 15}" for i in range(len(y))]
    draws = [control_labels(keys, y, seed=s) for s in range(3)]
    probe = MassMeanProbe()
    singles = [next(r for r in evaluate_probe(probe, X, y, g, d, conditions=("control",)))
               for d in draws]
    pooled = evaluate_probe(probe, X, y, g, draws, conditions=("control",))[0]
    assert pooled["draws"] == 3 and pooled["n_rows"] == len(y)
    assert pooled["accuracy"] == pytest.approx(np.mean([r["accuracy"] for r in singles]))
    assert pooled["accuracy_lo"] <= pooled["accuracy"] <= pooled["accuracy_hi"]


@pytest.mark.parametrize("cls", [LogisticProbe, MassMeanProbe])
def test_save_load_round_trip_without_pickle(tmp_path, cls):
    X, y, g, _ = _planted()
    y = np.where(y == 1, "yes", "no")
    probe = cls().fit(X, y)
    path = save_probe(probe, tmp_path / "p", extra={"layer": 2})
    files = sorted(x.name for x in tmp_path.iterdir())
    assert files == ["p.json", "p.safetensors"]
    assert json.loads((tmp_path / "p.json").read_text())["extra"]["layer"] == 2
    back = load_probe(path)
    assert (back.predict(X) == probe.predict(X)).all()
    np.testing.assert_allclose(back.decision_function(X), probe.decision_function(X))


def _chain_trace(reasoning: str, question: str = "start 4, +7, *3, -5 (mod 10)") -> Trace:
    return Trace(problem_id="p1", corpus="c", model=ModelInfo(id="m"),
                 prompt=Prompt(messages=[{"role": "user", "content": question}]),
                 reasoning=reasoning, answer="Answer: 8", extracted_answer="8",
                 gold_answer="8", correct=True)


def test_intermediate_target_labels_and_masks_where_the_text_states_it():
    t = _chain_trace("4+7=1\n1*3=3\n3-5=8\n")
    t.trace_id = "t1"
    meta = pd.DataFrame({"trace_id": ["t1"] * 4, "problem_id": ["p1"] * 4,
                         "region": ["prompt", "cot", "cot", "cot"], "char_end": [10, 4, 5, 6],
                         "key": ["last_prompt", "cot3", "cot4", "cot5"], "row": [0, 1, 2, 3]})
    tab = target_table(get_target("intermediate_1"), {"t1": t}, meta)
    assert list(tab["label"]) == [1, 1, 1, 1]
    # "1" is character 4: the "=" before it (ends at 4) has not read it, later rows have
    assert list(tab["masked"]) == [False, False, True, True]
    assert get_target("intermediate_2").labels(t, meta) == [3] * 4
    # the last step's value is the final answer, not an intermediate one
    assert get_target("intermediate_3").labels(t, meta) == [None] * 4
    with pytest.raises(KeyError, match="valid"):
        get_target("nonsense")


def test_probe_rows_do_not_depend_on_the_order_extraction_wrote_them():
    from types import SimpleNamespace

    from thinkscope.probing import probe_rows

    traces, rows = {}, []
    for i in range(30):
        a, b = i % 10, (3 * i) % 10
        t = _chain_trace(f"{a}+7={(a + 7) % 10}\n", question=f"start {a}, +7, *{b} (mod 10)")
        t.trace_id, t.problem_id = f"t{i:02d}", f"p{i}"
        traces[t.trace_id] = t
        rows += [{"trace_id": t.trace_id, "problem_id": t.problem_id, "rule": "prompt",
                  "key": k, "position": pos, "region": "prompt", "char_end": 0,
                  "row": len(rows) + j} for j, (k, pos) in enumerate([("p-1", 5), ("p-0", 6)])]
    meta = pd.DataFrame(rows)
    shuffled_meta = meta.sample(frac=1.0, random_state=1).reset_index(drop=True)
    target = get_target("intermediate_1")
    one = probe_rows(SimpleNamespace(meta=meta), traces, target, min_rows=10)
    two = probe_rows(SimpleNamespace(meta=shuffled_meta), traces, target, min_rows=10)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 60


def test_next_backtrack_target():
    t = _chain_trace("4+7=2\nWait, 4+7=1\n1*3=3\n")
    t.trace_id = "t1"
    meta = pd.DataFrame({"trace_id": ["t1"] * 3, "problem_id": ["p1"] * 3,
                         "region": ["cot"] * 3, "char_end": [5, 18, 24],
                         "key": ["sent0", "sent1", "sent2"], "segment_index": [0, 1, 2],
                         "row": [0, 1, 2]})
    labels = get_target("next_backtrack").labels(t, meta)
    assert labels == [1, 0, None]


def test_auroc_equals_sklearn():
    from sklearn.metrics import roc_auc_score

    from thinkscope.probing._evaluate import _auroc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 300)
    proba = rng.dirichlet(np.ones(4), 300)
    proba[np.arange(300), y] += 0.3 * rng.random(300)
    proba = np.round(proba / proba.sum(1, keepdims=True), 2)  # ties
    assert _auroc(y, proba, np.arange(4)) == pytest.approx(
        roc_auc_score(y, proba / proba.sum(1, keepdims=True), multi_class="ovr"), abs=1e-9)
    yb = (y > 1).astype(int)
    pb = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    assert _auroc(yb, pb, np.array([0, 1])) == pytest.approx(roc_auc_score(yb, pb[:, 1]))


def test_answer_digits_target_classes():
    from thinkscope.probing import get_target
    from thinkscope.probing._targets import answer_digits

    assert [answer_digits(a) for a in ("7", "$18", "1,200", "-40", "12345", "0.5", "x", None)] \
        == ["1", "2", "4+", "2", "4+", "1", None, None]
    assert get_target("answer_digits").name == "answer_digits"
