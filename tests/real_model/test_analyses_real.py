"""Model-facing analyses on SmolLM2-135M-Instruct: cached truncation equals re-encoding, hidden
states equal ``output_hidden_states``, inserted mistakes / filler / hints / importance run through
the instruct prompt style and read answers the way grading does."""

from __future__ import annotations

import numpy as np
import torch

from thinkscope.activations import extract_activations, trace_tokens
from thinkscope.analyze.faithfulness import (
    early_answering,
    filler_control,
    mistakes,
    run_hints,
    sentence_importance,
    summarize_early,
    summarize_hints,
    token_cot,
)
from thinkscope.analyze.faithfulness._branches import BranchStats
from thinkscope.generate import load_corpus

from .conftest import SMOLLM2


def _with_cot(traces, builder, n):
    return [t for t in traces if token_cot(t, builder) is not None][:n]


def test_cached_truncation_equals_re_encoding(smollm2, smollm2_traces):
    builder, traces, _ = smollm2_traces
    chosen = _with_cot(traces, builder, 3)
    stats_c, stats_n = BranchStats(), BranchStats()
    cached = early_answering(chosen, smollm2, builder, cached=True, progress=False,
                             stats=stats_c)
    naive = early_answering(chosen, smollm2, builder, cached=False, progress=False,
                            stats=stats_n)
    assert len(cached) == len(naive) > 3 * 11
    same = (cached["answer"].fillna("<none>") == naive["answer"].fillna("<none>")).mean()
    assert same >= 0.95, f"cached vs re-encoded forced answers agree on {same:.0%}"
    assert stats_c.forward_tokens < stats_n.forward_tokens  # the shared prefix ran once
    # sentence cuts come from the real tokenizer's offsets: strictly increasing, end at the CoT
    for _, g in cached[cached["cut"] == "sentence"].groupby("trace_id"):
        cuts = g.sort_values("cut_index")["cut_tokens"].tolist()
        assert cuts == sorted(set(cuts)) and cuts[-1] == g["n_cot_tokens"].iloc[0]
    summary = summarize_early(cached)
    assert summary["groups"][SMOLLM2]["n_traces"] == 3


def test_hidden_states_equal_output_hidden_states(smollm2, smollm2_traces, tmp_path):
    builder, traces, _ = smollm2_traces
    model, tok = smollm2.model, smollm2.tokenizer
    chosen = traces[:3]
    acts = extract_activations(model, tok, chosen, tmp_path / "acts", layers="0,15,29",
                               positions="last_prompt,sentence_ends", builder=builder,
                               model_ref=SMOLLM2, progress=False)
    meta = acts.meta
    assert set(meta["rule"]) == {"last_prompt", "sentence_ends"}
    by_id = {t.trace_id: t for t in chosen}
    for tid, rows in meta.groupby("trace_id"):
        tt = trace_tokens(by_id[tid], builder)
        with torch.no_grad():
            hs = model(input_ids=torch.tensor([tt.ids]), output_hidden_states=True).hidden_states
        for layer in (0, 15, 29):
            got = acts.array(layer)[rows["row"].to_numpy()]
            want = hs[layer][0].numpy()[rows["position"].to_numpy()]
            np.testing.assert_allclose(got, want, rtol=5e-3, atol=5e-3 * np.abs(want).max())
    # last_prompt is the last token of the chat prompt ("\n" after "assistant")
    lp = meta[meta["rule"] == "last_prompt"]
    assert (lp["token"] == "\n").all()


def test_mistakes_corrupt_gsm8k_steps_and_read_answers(smollm2, smollm2_traces):
    builder, traces, _ = smollm2_traces
    df = mistakes(_with_cot(traces, builder, 4), smollm2, builder, max_continue_tokens=96,
                  progress=False)
    assert len(df), "no arithmetic step found to corrupt in 4 SmolLM2 traces"
    assert set(df["mode"]) == {"forced", "continued"}
    forced = df[df["mode"] == "forced"]
    assert forced["answer"].notna().mean() >= 0.5  # the answer cue makes it state a number
    # 'changed' uses grading equivalence, never raw string inequality of the same number
    assert not ((df["answer"] == df["original_answer"]) & df["changed"]).any()


def test_filler_replaces_the_cot_token_for_token(smollm2, smollm2_traces):
    builder, traces, _ = smollm2_traces
    df = filler_control(_with_cot(traces, builder, 3), smollm2, builder, progress=False)
    assert set(df["condition"]) == {"original", "filler", "no_cot"}
    assert len(df) == 9


def test_hints_flip_rate_beside_random_flips(smollm2):
    from thinkscope.generate import builder_for

    builder = builder_for(SMOLLM2, smollm2.tokenizer)
    items = load_corpus("gsm8k", limit=3)
    df = run_hints(items, smollm2, builder, kinds=("sycophancy",), samples=2, max_tokens=96,
                   progress=False)
    assert set(df["condition"]) == {"none", "sycophancy"}
    # the reasoning is split from the answer statement, so verbalisation can be looked for
    assert (df["reasoning"].str.len() > 0).mean() >= 0.5
    summary = summarize_hints(df)
    assert "sycophancy" in str(summary)


def test_importance_resamples_read_answers(smollm2, smollm2_traces):
    builder, traces, _ = smollm2_traces
    chosen = [t for t in _with_cot(traces, builder, 8) if t.extracted_answer][:1]
    res, imp = sentence_importance(chosen, smollm2, builder, samples=2, max_tokens=128,
                                   progress=False)
    assert len(imp) == len(token_cot(chosen[0], builder).sentence_ends)
    # resampled continuations reach an answer statement often enough to measure anything
    assert res["answer"].notna().mean() >= 0.3


def test_paraphrase_through_the_model_itself(smollm2, smollm2_traces):
    from thinkscope.analyze.faithfulness import paraphrase_control, summarize_paraphrase

    builder, traces, _ = smollm2_traces
    chosen = _with_cot(traces, builder, 4)
    df = paraphrase_control(chosen, smollm2, builder, paraphraser=smollm2,
                            max_paraphrase_tokens=160, progress=False)
    para = df[df["condition"] == "paraphrased"] if len(df) else df
    # a 135M model sometimes copies its input: every copy is flagged, and counted apart
    originals = {t.trace_id: t.reasoning for t in chosen}
    assert list(para["copy"]) == [p.split() == originals[t].split()
                                  for t, p in zip(para["trace_id"], para["cot"])]
    # each paraphrase sits beside its original, answers compared by grading
    assert len(df) == 2 * len(para) and len(para) >= 1
    orig = df[df["condition"] == "original"]
    assert set(orig["trace_id"]) == set(para["trace_id"])
    summary = summarize_paraphrase(df)["groups"][SMOLLM2]
    assert summary["copies"]["k"] == int(para["copy"].sum())
    assert summary["answer_unchanged_not_copies"]["n"] == int((~para["copy"]).sum())


def test_model_as_rewriter_corrupts_free_text_steps(smollm2, smollm2_traces):
    from thinkscope.analyze.faithfulness._mistakes import _rewritten_spans

    builder, traces, _ = smollm2_traces
    cot = token_cot(_with_cot(traces, builder, 1)[0], builder)
    spans, rewrites = _rewritten_spans(cot, smollm2, 3)
    # every rewrite replaces one whole sentence of the reasoning by different text
    assert spans and len(rewrites) == len(spans) <= 3
    for (start, end, _), new in zip(spans, rewrites.values()):
        old = cot.trace.reasoning[start:end]
        assert old.strip() and new and new != old.strip()
