"""Activation extraction on one organism, same traces and layers, one run: thinkscope's hooked
teacher-forced pass vs (a) a plain batched forward with no hooks, (b) nnsight saving the same
layers, (c) ``generate(output_hidden_states=True)`` re-running each trace.

All four produce (or could produce) the residual stream at every CoT token of the chosen layers;
thinkscope's numbers include writing the fp16 shards and the metadata table. The plain forward
and nnsight get the same length-sorted batches under the same padded-token budget as ours. Ours
runs each sequence only up to its last saved position and each batch only up to its last
requested layer; the others run whole sequences through every layer. Last line: ``ratio: X``
(nnsight wall / ours).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

import torch

from thinkscope.activations import extract_activations, find_blocks, parse_layers, trace_tokens
from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus, make_trace
from thinkscope.generate.hf import HFBackend
from thinkscope.traces import ModelInfo


def _batches(seqs: list[list[int]], max_tokens: int, max_batch: int, pad: int
             ) -> list[tuple[Any, Any]]:
    """Length-sorted batches of at most ``max_tokens`` padded tokens (as ours forms them)."""
    groups: list[list[list[int]]] = [[]]
    for seq in sorted(seqs, key=len):
        g = groups[-1]
        if g and ((len(g) + 1) * len(seq) > max_tokens or len(g) >= max_batch):
            groups.append(g := [])
        g.append(seq)
    out = []
    for chunk in groups:
        width = max(len(c) for c in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for b, c in enumerate(chunk):
            ids[b, : len(c)] = torch.tensor(c)
            mask[b, : len(c)] = 1
        out.append((ids, mask))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="organism:sft-selfcorrect")
    ap.add_argument("--traces", type=int, default=512)
    ap.add_argument("--layers", default="all")
    ap.add_argument("--max-tokens", type=int, default=2048, help="padded tokens per batch")
    ap.add_argument("--corpus", default="modarith", help="gsm8k with a real --model")
    ap.add_argument("--gen-tokens", type=int, default=160, help="trace generation cap")
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    torch.manual_seed(0)
    from thinkscope.models import MissingModelPackage

    try:
        be = HFBackend(args.model, device="cpu", batch_size=64)
    except MissingModelPackage as exc:  # a real model whose package is not installed
        print(f"skipped: {exc}")
        return 0
    model, tok = be.model, be.tokenizer
    builder = builder_for(args.model, tok)
    items = [it for it in load_corpus("modarith") if it.question.count(",") >= 3][: args.traces] \
        if args.corpus == "modarith" else load_corpus(args.corpus, limit=args.traces)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(it.question), seed=i,
                              sampling=Sampling(temperature=1.0, max_tokens=args.gen_tokens))
            for i, it in enumerate(items)]
    comps = be.generate(reqs)
    traces = [make_trace(it, c[0], 0, builder, r.prompt_ids, ModelInfo(id=args.model),
                         args.corpus, "hf", r.sampling, 0)
              for it, c, r in zip(items, comps, reqs) if not isinstance(c, Exception)]
    layers = parse_layers(args.layers, len(find_blocks(model)))
    seqs = [trace_tokens(t, builder).ids for t in traces]
    n_tok = sum(len(s) for s in seqs)
    print(f"{len(traces)} traces of {args.model} ({n_tok} tokens), layers {layers}, every CoT "
          f"token saved; batches of <= {args.max_tokens} padded tokens; best of {args.repeats} "
          f"runs each")
    batches = _batches(seqs, args.max_tokens, 64, tok.pad_token_id)

    def ours() -> None:
        with tempfile.TemporaryDirectory() as d:
            extract_activations(model, tok, traces, d, layers=layers, positions="cot",
                                builder=builder, model_ref=args.model, max_batch=64,
                                max_tokens=args.max_tokens, progress=False)

    @torch.no_grad()
    def plain() -> None:
        for ids, mask in batches:
            model(input_ids=ids, attention_mask=mask, use_cache=False)

    def nnsight_run() -> None:
        from nnsight import LanguageModel

        lm = LanguageModel(model, tokenizer=tok)
        blocks = lm.model.layers
        wanted = [i - 1 for i in layers if i > 0]
        for ids, mask in batches:
            saved: list[Any] = []
            with lm.trace({"input_ids": ids, "attention_mask": mask}, use_cache=False):
                if 0 in layers:  # layer 0 = the embedding output, as in ours
                    saved.append(lm.model.embed_tokens.output.save())
                for i in wanted:
                    saved.append(blocks[i].output.save())
            assert len(saved) == len(layers)

    @torch.no_grad()
    def hidden_states_generate() -> None:
        for t in traces:
            tt = trace_tokens(t, builder)
            ids = torch.tensor([tt.prompt_ids])
            model.generate(input_ids=ids, max_new_tokens=len(tt.completion_ids),
                           do_sample=False, output_hidden_states=True,
                           return_dict_in_generate=True, pad_token_id=tok.pad_token_id,
                           eos_token_id=None)

    runs: dict[str, Any] = {"ours": ours, "plain forward": plain}
    try:
        import nnsight  # noqa: F401

        runs["nnsight"] = nnsight_run
    except ImportError:
        print("nnsight not installed (pip install 'thinkscope[bench]'): skipped")
    runs["generate(output_hidden_states)"] = hidden_states_generate
    walls = {name: float("inf") for name in runs}
    for name, fn in runs.items():
        if "generate" not in name:  # generate runs once: warming it up would double its minutes
            fn()  # warm-up (first-call allocations, imports)
    # round-robin repeats, so drift in machine load hits every method alike; best of each
    for r in range(args.repeats):
        for name, fn in runs.items():
            if "generate" in name and r > 0:
                continue
            t0 = time.perf_counter()
            fn()
            walls[name] = min(walls[name], time.perf_counter() - t0)
    for name, best in walls.items():
        print(f"{name:32s} {best:8.3f} s  ({n_tok / best:9.0f} tokens/s)")
    o = walls["ours"]
    print(f"ours / plain forward: {o / walls['plain forward']:.2f}x (target <= 1.25)")
    g = walls["generate(output_hidden_states)"]
    print(f"generate(output_hidden_states) / ours: {g / o:.1f}x (target >= 10)")
    if "nnsight" in walls:
        print(f"ratio: {walls['nnsight'] / o:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
