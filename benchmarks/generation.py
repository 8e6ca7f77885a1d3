"""Generation throughput of the HF backend: batched vs one prompt at a time, same prompts.

Greedy decoding on a shipped organism; both runs produce the same tokens (checked). Last line:
``ratio: X`` = batched tokens/s / one-at-a-time tokens/s.
"""

from __future__ import annotations

import argparse
import time

from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus
from thinkscope.generate.hf import HFBackend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="organism:sft-clean")
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    args, _ = ap.parse_known_args()
    be = HFBackend(args.model, device="cpu", batch_size=args.batch_size)
    builder = builder_for(args.model, be.tokenizer)
    items = load_corpus("modarith", limit=args.prompts)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(it.question),
                              sampling=Sampling(max_tokens=96)) for it in items]
    be.generate(reqs[:4])  # warm-up
    t0 = time.perf_counter()
    batched = be.generate(reqs)
    t_batched = time.perf_counter() - t0
    be.batch_size = 1
    t0 = time.perf_counter()
    single = be.generate(reqs)
    t_single = time.perf_counter() - t0
    toks = sum(len(r[0].token_ids) for r in batched)  # type: ignore[index]
    same = [r[0].token_ids for r in batched] == [r[0].token_ids for r in single]  # type: ignore[index]
    print(f"model: {args.model}, prompts: {len(reqs)}, generated tokens: {toks}, "
          f"identical outputs: {same}")
    print(f"one at a time: {t_single:.2f} s ({toks / t_single:,.0f} tokens/s)")
    print(f"batched ({args.batch_size}): {t_batched:.2f} s ({toks / t_batched:,.0f} tokens/s)")
    print(f"ratio: {t_single / t_batched:.1f}")


if __name__ == "__main__":
    main()
