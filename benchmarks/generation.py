"""Generation throughput of the HF backend, measured side by side in one run.

1. Organism: batched vs one prompt at a time (greedy, same prompts; outputs must be identical).
   ``ratio: X`` = batched tokens/s / one-at-a-time tokens/s.
2. A real LM (SmolLM2-135M-Instruct from its package, or ``--real-model``), sampling at T = 1 on
   GSM8K prompts, same prompts, same max tokens, same batch size for every method:
   ours vs ``model.generate`` (``ratio_vs_generate``) and vs a plain batched KV-cached loop that
   does nothing but sample (``ratio_vs_plain_loop``: the decoding ceiling on this machine).
   Throughput is generated tokens per second (a row's tokens up to and including its EOS).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus
from thinkscope.generate.hf import HFBackend


def organism(model: str, prompts: int, batch_size: int) -> None:
    be = HFBackend(model, device="cpu", batch_size=batch_size)
    builder = builder_for(model, be.tokenizer)
    items = load_corpus("modarith", limit=prompts)
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
    print(f"model: {model}, prompts: {len(reqs)}, generated tokens: {toks}, "
          f"identical outputs: {same}")
    print(f"one at a time: {t_single:.2f} s ({toks / t_single:,.0f} tokens/s)")
    print(f"batched ({batch_size}): {t_batched:.2f} s ({toks / t_batched:,.0f} tokens/s)")
    print(f"ratio: {t_single / t_batched:.1f}")


def _left_pad(prompts: list[list[int]], pad: int) -> tuple[Any, Any]:
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    return ids, mask


def plain_loop(model: Any, prompts: list[list[int]], pad: int, max_new: int) -> int:
    """The ceiling: a KV-cached loop that samples on the device and checks nothing."""
    import torch

    from thinkscope.models import forward_cached, output_cache

    ids, mask = _left_pad(prompts, pad)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        out = forward_cached(model, input_ids=ids, attention_mask=mask, position_ids=positions,
                             logits_to_keep=1)
        last = positions[:, -1]
        for _ in range(max_new):
            probs = torch.softmax(out.logits[:, -1, :].float(), dim=-1)
            nxt = torch.multinomial(probs, 1)
            mask = torch.cat([mask, torch.ones_like(nxt)], dim=1)
            last = last + 1
            out = forward_cached(model, output_cache(out), input_ids=nxt, attention_mask=mask,
                                 position_ids=last[:, None])
    return len(prompts) * max_new


def hf_generate(model: Any, prompts: list[list[int]], pad: int, max_new: int,
                eos: list[int]) -> int:
    import torch

    ids, mask = _left_pad(prompts, pad)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, temperature=1.0,
                             top_p=1.0, top_k=0, max_new_tokens=max_new, pad_token_id=pad)
    new = out[:, ids.shape[1]:].tolist()
    total = 0
    for row in new:  # tokens up to and including the first EOS
        cut = next((j + 1 for j, t in enumerate(row) if t in eos), len(row))
        total += cut
    return total


def real(model: str, prompts: int, batch_size: int, max_new: int, rounds: int) -> None:
    be = HFBackend(model, device="cpu", batch_size=batch_size)
    builder = builder_for(model, be.tokenizer)
    items = load_corpus("gsm8k", limit=prompts)
    ids = [builder.prompt_ids(it.question) for it in items]
    sampling = Sampling(temperature=1.0, max_tokens=max_new)
    reqs = [GenerationRequest(prompt_ids=p, sampling=sampling, seed=i) for i, p in enumerate(ids)]
    batches = [ids[i:i + batch_size] for i in range(0, len(ids), batch_size)]
    be.model.generation_config.top_k = None  # plain sampling, as ours and the loop do

    def ours() -> int:
        return sum(len(r[0].token_ids) for r in be.generate(reqs))  # type: ignore[index]

    def generate() -> int:
        return sum(hf_generate(be.model, b, be.pad_id, max_new, be.eos_ids) for b in batches)

    def loop() -> int:
        return sum(plain_loop(be.model, b, be.pad_id, max_new) for b in batches)

    methods = {"ours": ours, "model.generate": generate, "plain loop": loop}
    best: dict[str, float] = {}
    toks: dict[str, int] = {}
    for _ in range(rounds):  # round-robin, best of N: machine noise hits every method alike
        for name, fn in methods.items():
            t0 = time.perf_counter()
            toks[name] = fn()
            rate = toks[name] / (time.perf_counter() - t0)
            best[name] = max(best.get(name, 0.0), rate)
    print(f"model: {model}, prompts: {len(ids)}, batch size: {batch_size}, max new tokens: "
          f"{max_new}, sampling T=1, best of {rounds} rounds")
    for name in methods:
        print(f"  {name:15s} {best[name]:7.1f} tokens/s ({toks[name]} tokens)")
    print(f"ratio_vs_generate: {best['ours'] / best['model.generate']:.2f}")
    print(f"ratio_vs_plain_loop: {best['ours'] / best['plain loop']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="organism:sft-clean")
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--real-model", default="pkg:smollm2-135m-instruct")
    ap.add_argument("--real-prompts", type=int, default=16)
    ap.add_argument("--real-batch-size", type=int, default=8)
    ap.add_argument("--real-max-tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    args, _ = ap.parse_known_args()
    organism(args.model, args.prompts, args.batch_size)
    from thinkscope.models import MissingModelPackage

    try:
        real(args.real_model, args.real_prompts, args.real_batch_size, args.real_max_tokens,
             args.rounds)
    except MissingModelPackage as exc:
        print(f"real model skipped: {exc}")


if __name__ == "__main__":
    main()
