"""Activation extraction: equal to ``output_hidden_states`` at the chosen positions, stops after
the last requested layer and after the last saved position, resumes, captures repeated
(weight-shared) blocks step by step."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from thinkscope.activations import (
    ActivationSet,
    extract_activations,
    find_blocks,
    parse_layers,
    trace_tokens,
)
from thinkscope.generate import Sampling, builder_for, load_corpus, run_generation
from thinkscope.generate.hf import HFBackend
from thinkscope.traces import TraceStore

MODEL = "organism:sft-selfcorrect"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("acts")
    be = HFBackend(MODEL, device="cpu", batch_size=64)
    builder = builder_for(MODEL, be.tokenizer)
    store = TraceStore(root / "store", create=True)
    items = [it for it in load_corpus("modarith") if it.question.count(",") >= 2][:24]
    run_generation(be, builder, items, store, "modarith",
                   sampling=Sampling(temperature=1.0, max_tokens=128), progress=False)
    return root, be.model, be.tokenizer, builder, list(store.iter_traces())


def _reference(model, tt, layer):
    with torch.no_grad():
        out = model(input_ids=torch.tensor([tt.ids]), output_hidden_states=True)
    return out.hidden_states[layer][0].numpy()


def test_equal_to_hidden_states_at_each_position(setup):
    root, model, tok, builder, traces = setup
    acts = extract_activations(model, tok, traces, root / "a1", layers="0,2,3,4",
                               positions="last_prompt,sentence_ends,answer,cot",
                               builder=builder, model_ref=MODEL, max_tokens=600,
                               progress=False)
    meta = acts.meta
    assert set(meta["rule"]) == {"last_prompt", "sentence_ends", "answer", "cot"}
    by_id = {t.trace_id: t for t in traces}
    for layer in (0, 2, 3, 4):
        arr = acts.array(layer)
        assert arr.shape == (len(meta), model.config.hidden_size)
        for tid, rows in list(meta.groupby("trace_id"))[:6]:
            tt = trace_tokens(by_id[tid], builder)
            ref = _reference(model, tt, layer)
            got = arr[rows["row"].to_numpy()]
            if layer == 4:  # HF's last hidden state is after the final norm; ours is before it
                with torch.no_grad():
                    got = model.model.norm(torch.tensor(got)).numpy()
            want = ref[rows["position"].to_numpy()]
            # fp16 storage: equal to half precision
            np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3 * np.abs(want).max())
    # the answer rule points at the token that predicts the answer's first character
    for tid, rows in meta[meta["rule"] == "answer"].groupby("trace_id"):
        tt = trace_tokens(by_id[tid], builder)
        nxt = tok.decode([tt.ids[int(rows["position"].iloc[0]) + 1]])
        assert tt.trace.extracted_answer.startswith(nxt)
    # sentence ends are newline-ended step lines of the organism's CoT
    ends = meta[meta["rule"] == "sentence_ends"]
    assert (ends["token"].isin(["\n"]) | ends["token"].str.match(r"\d")).all()
    assert (ends["segment_index"] >= 0).all()


def test_stops_after_the_last_requested_layer(setup):
    root, model, tok, builder, traces = setup
    blocks = find_blocks(model)
    calls = [0] * len(blocks)
    handles = [b.register_forward_hook(lambda m, a, o, i=i: calls.__setitem__(i, calls[i] + 1))
               for i, b in enumerate(blocks)]
    try:
        extract_activations(model, tok, traces[:4], root / "a2", layers="1", builder=builder,
                            model_ref=MODEL, progress=False)
    finally:
        for h in handles:
            h.remove()
    assert calls[0] > 0 and calls[1:] == [0] * (len(blocks) - 1)


def test_runs_each_sequence_only_up_to_its_last_saved_position(setup):
    root, model, tok, builder, traces = setup
    widths: list[int] = []
    handle = find_blocks(model)[0].register_forward_pre_hook(
        lambda m, args, kw: widths.append(int(kw["hidden_states"].shape[1]))
        if "hidden_states" in kw else widths.append(int(args[0].shape[1])),
        with_kwargs=True)
    try:
        extract_activations(model, tok, traces, root / "a_short", layers="1",
                            positions="last_prompt", builder=builder, model_ref=MODEL,
                            progress=False)
    finally:
        handle.remove()
    tts = [trace_tokens(t, builder) for t in traces]
    # only prompts ran: no batch is wider than the longest prompt, and it is far below the
    # longest whole trace
    assert widths and max(widths) == max(len(tt.prompt_ids) for tt in tts)
    assert max(widths) < max(len(tt.ids) for tt in tts) / 2


def test_resume_after_partial_run_gives_the_same_rows(setup):
    root, model, tok, builder, traces = setup
    kw = dict(layers="2", positions="sentence_ends", builder=builder, model_ref=MODEL,
              shard_traces=5, progress=False)
    whole = extract_activations(model, tok, traces, root / "whole", **kw)
    extract_activations(model, tok, traces[:7], root / "part", **kw)
    part = ActivationSet(root / "part")
    assert len(part.manifest.done()) == 7
    resumed = extract_activations(model, tok, traces, root / "part", **kw)
    assert resumed.manifest.done() == whole.manifest.done()
    a = whole.meta.set_index(["trace_id", "position"]).sort_index()
    b = resumed.meta.set_index(["trace_id", "position"]).sort_index()
    # the resumed run batches traces differently: equal up to one fp16 step (batch-dependent
    # float summation order can flip a rounding), while a wrong row would differ by far more
    want = whole.array(2)[a["row"]].astype(np.float32)
    np.testing.assert_allclose(resumed.array(2)[b["row"]].astype(np.float32), want,
                               rtol=2e-3, atol=1e-3 * np.abs(want).max())
    with pytest.raises(ValueError, match="other settings"):
        extract_activations(model, tok, traces, root / "part", **{**kw, "layers": "3"})


def test_recurrent_block_captured_per_step(setup):
    """A block that runs twice per forward (weight sharing, as in recurrent-depth models) gives
    one tensor per call, equal to the hidden states after each call."""
    root, model, tok, builder, traces = setup
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    shared = AutoModelForCausalLM.from_config(model.config).eval()
    layers = shared.model.layers
    layers[2] = layers[1]  # block 2 reuses block 1's weights
    acts = extract_activations(shared, tok, traces[:3], root / "rec", layers="2",
                               positions="last_prompt", builder=builder, model_ref="shared",
                               progress=False)
    assert set(acts.manifest.tensors) == {"resid.L2.s0", "resid.L2.s1"}
    tt = trace_tokens(traces[0], builder)
    with torch.no_grad():
        # no KV cache: a shared block would append its second call to the first call's cache
        hs = shared(input_ids=torch.tensor([tt.ids]), output_hidden_states=True,
                    use_cache=False).hidden_states
    pos = len(tt.prompt_ids) - 1
    rows = acts.meta[acts.meta["trace_id"] == traces[0].trace_id]["row"].to_numpy()
    for step, layer in ((0, 2), (1, 3)):
        np.testing.assert_allclose(acts.array(2, step=step)[rows[0]], hs[layer][0, pos].numpy(),
                                   rtol=2e-3, atol=2e-3)


def test_layer_spec_and_bad_rules():
    assert parse_layers("all", 4) == [0, 1, 2, 3, 4]
    assert parse_layers("1-3", 4) == [1, 2, 3]
    assert parse_layers("-1", 4) == [4]
    with pytest.raises(ValueError, match="0..4"):
        parse_layers("7", 4)
    from thinkscope.activations import parse_rules

    with pytest.raises(ValueError, match="valid"):
        parse_rules("last_prompt,bogus")


def test_cli_extract_names_bad_input(setup, tmp_path):
    root = setup[0]
    r = subprocess.run([sys.executable, "-m", "thinkscope", "probe", "extract", "--model", MODEL,
                        "--store", str(root / "store"), "--out", str(tmp_path / "x"),
                        "--positions", "nowhere", "-q"], capture_output=True, text=True)
    assert r.returncode == 2 and "nowhere" in r.stderr and "valid" in r.stderr
