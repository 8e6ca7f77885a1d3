"""Early answering with 20 cuts per trace: the HF backend's KV-cache branching (prompt + CoT
encoded once) vs naive re-encoding of every truncated prompt, one run, on an organism (modarith)
and on a real LM (``--model pkg:smollm2-135m-instruct --corpus gsm8k``; its traces are generated
first at T = 0.6 and the longest CoTs kept). Organisms must give identical answers; on a real
model the share of identical forced answers is printed (float summation order differs between a
padded batch and a single sequence, so near-ties may flip).

Prints forward token positions computed by each, the physical minimum (one pass over prompt + CoT
plus, per cut, the answer suffix and the generated tokens fed back), and wall time. Last line:
``ratio: X`` (naive wall / cached wall).
"""

from __future__ import annotations

import argparse
import time

from thinkscope.analyze.faithfulness import (
    BranchStats,
    answer_from,
    forced_branches,
    forced_branches_many,
    token_cot,
)
from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus
from thinkscope.generate.hf import HFBackend

CUTS = 20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="organism:sft-selfcorrect")
    ap.add_argument("--traces", type=int, default=48)
    ap.add_argument("--answer-tokens", type=int, default=4)
    ap.add_argument("--corpus", default="modarith")
    ap.add_argument("--max-tokens", type=int, default=160, help="trace generation cap")
    args = ap.parse_args()
    from thinkscope.models import MissingModelPackage

    try:
        be = HFBackend(args.model, device="cpu", batch_size=64)
    except MissingModelPackage as exc:  # a real model whose package is not installed
        print(f"skipped: {exc}")
        return 0
    builder = builder_for(args.model, be.tokenizer)
    # the longest chains (k = 6), sampled at temperature 1 so self-corrections lengthen them;
    # the --traces longest CoTs of four times as many candidates are kept
    organism = args.corpus == "modarith"
    items = [it for it in load_corpus("modarith") if it.question.count(",") == 6][
        : 4 * args.traces] if organism else load_corpus(args.corpus, limit=2 * args.traces)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(it.question), seed=i,
                              sampling=Sampling(temperature=1.0 if organism else 0.6,
                                                max_tokens=args.max_tokens))
            for i, it in enumerate(items)]
    from thinkscope.generate import make_trace
    from thinkscope.traces import ModelInfo

    comps = be.generate(reqs)
    traces = [make_trace(it, c[0], 0, builder, r.prompt_ids, ModelInfo(id=args.model),
                         args.corpus, "hf", r.sampling, 0)
              for it, c, r in zip(items, comps, reqs) if not isinstance(c, Exception)]
    traces = sorted(traces, key=lambda t: -len(t.reasoning))[: args.traces]
    suffix = builder.forced_answer_suffix()
    jobs = []
    for t in traces:
        cot = token_cot(t, builder)
        if cot is None:
            continue
        p = len(cot.prompt_ids)
        keeps = sorted({p + round(i * cot.n / (CUTS - 1)) for i in range(CUTS)})
        jobs.append((cot.prompt_ids + cot.cot_ids, keeps))
    print(f"{len(jobs)} traces of {args.model}, {CUTS} cuts each "
          f"(mean prompt+CoT {sum(len(j[0]) for j in jobs) / len(jobs):.0f} tokens)")

    results = {}
    for name, cached in (("naive", False), ("cached", True)):
        stats = BranchStats()
        # warm-up outside the timing (first-call allocations)
        forced_branches(be, *jobs[0], suffix, args.answer_tokens, cached=cached)
        t0 = time.perf_counter()
        answers = forced_branches_many(be, jobs, suffix, args.answer_tokens, cached=cached,
                                       stats=stats)
        wall = time.perf_counter() - t0
        results[name] = (wall, stats.forward_tokens,
                         [[answer_from(builder.answer_cue, a or "") for a in row]
                          for row in answers])
    naive, cached = results["naive"], results["cached"]
    pairs = [(a, b) for ra, rb in zip(naive[2], cached[2]) for a, b in zip(ra, rb)]
    agree = sum(a == b for a, b in pairs) / len(pairs)
    if organism:
        assert agree == 1.0, "cached and naive answers differ"
    gen = sum(len(be.tokenizer.encode(a or "", add_special_tokens=False))
              for row in forced_raw(be, jobs, suffix, args.answer_tokens) for a in row)
    minimum = sum(len(pre) for pre, _ in jobs) + sum(len(k) for _, k in jobs) * len(suffix) + gen
    print(f"answers identical: {agree:.1%} of {len(pairs)} forced answers")
    for name in ("naive", "cached"):
        wall, toks, _ = results[name]
        print(f"{name:7s} forward tokens {toks:8d}  ({toks / minimum:.2f}x minimum)  "
              f"wall {wall:6.2f} s")
    print(f"minimum forward tokens {minimum}")
    print(f"token ratio (naive / cached): {naive[1] / cached[1]:.1f}")
    print(f"ratio: {naive[0] / cached[0]:.1f}")
    return 0


def forced_raw(be: HFBackend, jobs: list, suffix: list[int], n: int) -> list[list[str]]:
    """Generated texts (as tokens fed back, minus the last) for the minimum count."""
    out = []
    for pre, keeps in jobs:
        comps, _ = be.branch_greedy(pre, keeps, suffix, n, stop_at_newline=True)
        out.append([be.tokenizer.decode(c.token_ids[:-1]) for c in comps])
    return out


if __name__ == "__main__":
    raise SystemExit(main())
