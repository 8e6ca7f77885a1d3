"""A 4,096-token SmolLM2 trace through truncation, extraction and probing: time and peak memory.

Batches are budgeted in tokens, not rows: the cached early answering keeps at most
``DEFAULT_CACHE_BYTES`` of KV cache (prefix x rows x bytes per cached token; a long prefix with
many cuts is split into several batches), extraction at most ``--max-tokens`` padded
tokens per forward. The trace is built from real GSM8K reference solutions (question by question)
until it reaches the target length, then answered by the model; the script prints the peak
resident memory after each stage (``ru_maxrss``) so a regression that scales memory with rows
shows up here.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from thinkscope.activations import extract_activations
from thinkscope.analyze.faithfulness import early_answering, token_cot
from thinkscope.generate import Completion, Sampling, builder_for, load_corpus, make_trace
from thinkscope.generate.hf import HFBackend
from thinkscope.traces import ModelInfo


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="pkg:smollm2-135m-instruct")
    ap.add_argument("--tokens", type=int, default=4096)
    args = ap.parse_args()
    from thinkscope.models import MissingModelPackage

    try:
        be = HFBackend(args.model, device="cpu", batch_size=8)
    except MissingModelPackage as exc:
        print(f"skipped: {exc}")
        return 0
    builder = builder_for(args.model, be.tokenizer)
    items = load_corpus("gsm8k", split="train", limit=400)
    item = load_corpus("gsm8k", limit=1)[0]
    prompt = builder.prompt_ids(item.question)
    body, n = [], 0
    for it in items:  # real worked solutions, one paragraph each, up to the token target
        piece = it.meta["solution"] + "\n\n"
        n += len(builder.encode(piece))
        if n + len(prompt) > args.tokens - 16:
            break
        body.append(piece)
    text = "".join(body) + f"The answer is {item.gold}."
    ids = builder.encode(text)
    comp = Completion(token_ids=ids, text=text, finish_reason="stop")
    trace = make_trace(item, comp, 0, builder, prompt, ModelInfo(id=args.model), "gsm8k", "hf",
                       Sampling(max_tokens=len(ids)), 0)
    cot = token_cot(trace, builder)
    assert cot is not None
    print(f"{args.model}: one trace of {len(prompt) + len(ids)} tokens "
          f"({cot.n} CoT tokens, {len(cot.sentence_ends)} sentences); "
          f"peak RSS after load {peak_gib():.2f} GiB")
    t0 = time.perf_counter()
    df = early_answering([trace], be, builder, progress=False)
    print(f"early answering ({len(df)} rows: every sentence cut + 11 fractions): "
          f"{time.perf_counter() - t0:.1f} s, peak RSS {peak_gib():.2f} GiB")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        acts = extract_activations(be.model, be.tokenizer, [trace], d, layers="all",
                                   positions="sentence_ends,cot", builder=builder,
                                   model_ref=args.model, progress=False)
        print(f"extraction (all {len(acts.layers)} layers, every CoT token: {len(acts.meta)} "
              f"rows): {time.perf_counter() - t0:.1f} s, peak RSS {peak_gib():.2f} GiB")
        import numpy as np

        from thinkscope.probing import LogisticProbe

        t0 = time.perf_counter()
        X = acts.array(acts.layers[len(acts.layers) // 2]).astype(np.float32)
        y = (np.arange(len(X)) * 2 >= len(X)).astype(int)  # first vs second half of the CoT
        LogisticProbe().fit(X, y)
        print(f"probing (logistic on {X.shape[0]} x {X.shape[1]}): "
              f"{time.perf_counter() - t0:.1f} s, peak RSS {peak_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
