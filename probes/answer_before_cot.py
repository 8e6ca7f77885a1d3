"""Is the final answer decided before the chain of thought is written?

Probes the answer a model will give from its hidden state at the last prompt token (before any
CoT) and at each sentence end of the CoT, masking positions where the text already states the
answer. Compared on sft-posthoc (which states its answer first and writes a decorative chain)
and sft-clean (which reads its answer off the chain it writes); a real model works the same
way with --models and --corpus.

    python probes/answer_before_cot.py --out results/answer_before_cot
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import activations, organism_traces, probe, write_json


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("results/answer_before_cot"))
    ap.add_argument("--models", default="organism:sft-posthoc,organism:sft-clean")
    ap.add_argument("--ks", default="3,4", help="chain lengths")
    ap.add_argument("--n", type=int, default=300, help="problems per chain length")
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    summaries = {}
    for model in args.models.split(","):
        out = args.out / model.removeprefix("organism:")
        traces = organism_traces(model, out, ks, args.n, device=args.device)
        acts = activations(model, traces, out / "acts", "last_prompt,sentence_ends",
                           device=args.device)
        rand = activations(model, traces, out / "acts-random-init", "last_prompt,sentence_ends",
                           random_init=0, device=args.device)
        keys = ["last_prompt"] + [f"sent{i}" for i in range(3)]
        summaries[model] = probe(acts, traces, "final_answer", out / "probe", rand, keys)
    write_json(args.out / "summary.json", summaries)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
