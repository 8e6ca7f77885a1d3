"""Probes and steering on SmolLM2-135M-Instruct: activations of real traces, the correctness
probe with every baseline beside it, and steering against random directions."""

from __future__ import annotations

import random

import numpy as np
import pytest

from thinkscope.generate import CorpusItem, Sampling, builder_for, run_generation
from thinkscope.traces import TraceStore

from .conftest import SMOLLM2


@pytest.fixture(scope="module")
def easy_and_hard(smollm2, tmp_path_factory: pytest.TempPathFactory):
    """Additions it mostly gets right and multiplications it mostly gets wrong: correctness
    then varies across problems, so there is something for a probe to find."""
    rng = random.Random(0)
    items = []
    for i in range(36):
        a, b = rng.randint(11, 49), rng.randint(11, 49)
        op, val = ("+", a + b) if i % 2 == 0 else ("*", a * b)
        items.append(CorpusItem(f"arith-{i}", f"What is {a} {op} {b}?", str(val)))
    root = tmp_path_factory.mktemp("probe-real")
    store = TraceStore(root / "store", create=True)
    builder = builder_for(SMOLLM2, smollm2.tokenizer)
    run_generation(smollm2, builder, items, store, "arith", sampling=Sampling(max_tokens=96),
                   progress=False)
    return root, builder, list(store.iter_traces())


def test_correctness_probe_reports_every_baseline(smollm2, easy_and_hard):
    from thinkscope.activations import extract_activations
    from thinkscope.probing import get_target, summarize_probes, train_probes

    root, builder, traces = easy_and_hard
    correct = [bool(t.correct) for t in traces]
    assert 3 <= sum(correct) <= len(traces) - 3, f"{sum(correct)}/{len(traces)} correct"
    kw = dict(layers="0,10,20,30", positions="last_prompt", builder=builder, model_ref=SMOLLM2,
              progress=False)
    acts = extract_activations(smollm2.model, smollm2.tokenizer, traces, root / "acts", **kw)
    rand = extract_activations(smollm2.model, smollm2.tokenizer, traces, root / "rand",
                               random_init=0, **kw)
    res = train_probes(acts, traces, get_target("correct"), random_acts=rand, min_rows=20,
                       progress=False)
    conditions = set(res["condition"])
    assert {"task", "control", "shuffled", "majority", "random_init", "text_only"} <= conditions
    best = summarize_probes(res)["logistic"]["last_prompt"]
    for base in ("control", "shuffled", "majority", "layer0", "random_init", "text_only"):
        assert best[base] is not None, base
    # shuffled labels carry no information: at or below the majority rate (else folds leak)
    assert best["shuffled"]["accuracy"] <= best["majority"]["accuracy"] + 0.1
    assert best["task"]["n_problems"] == len(traces)


def test_steering_against_random_directions(smollm2, easy_and_hard):
    from thinkscope.probing import steer

    _, builder, traces = easy_and_hard
    hidden = smollm2.model.config.hidden_size
    direction = np.random.default_rng(0).standard_normal(hidden).astype(np.float32)
    chosen = traces[:8]
    table, res = steer(smollm2.model, smollm2.tokenizer, chosen, direction, layer=15,
                       alpha=(0.0, 4.0), n_random=2, max_new_tokens=64, builder=builder,
                       progress=False)
    zero, strong = res["sweep"]
    # adding a zero vector changes nothing: the hook edits the residual stream and only it
    assert zero["alpha"] == 0.0 and zero["probe"]["k"] == 0 and zero["random"]["k"] == 0
    assert strong["probe"]["n"] == 8 and strong["random"]["n"] == 16
    # a push four times the residual norm derails the model, and the summary says how often
    assert strong["probe"]["value"] >= 0.5
    assert {"probe_no_answer", "random_no_answer"} <= set(strong)
    # the headline is the strongest push that leaves random outputs intact: not alpha 4
    assert strong["random_no_answer"]["value"] > res["unsteered_no_answer"]["value"] + 0.1
    assert res["alpha"] == 0.0 and "alpha_rule" in res
    assert len(table) == 2 * 3 * 8
    assert set(table["kind"]) == {"probe", "random"}
