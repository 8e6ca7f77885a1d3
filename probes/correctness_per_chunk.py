"""Does the model know, mid-chain, whether it will end up right? (Zhang et al. 2025)

Probes eventual final-answer correctness from the hidden state at each sentence end of sampled
traces, beside the text-only baseline (a classifier on the text written so far: if the text
already gives correctness away, e.g. by a visible mistake, the probe has found nothing hidden).

    python probes/correctness_per_chunk.py --out results/correctness
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import activations, organism_traces, probe, write_json


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("results/correctness_per_chunk"))
    ap.add_argument("--model", default="organism:rl-outcome")
    ap.add_argument("--ks", default="3,4,5,6")
    ap.add_argument("--n", type=int, default=150, help="problems per chain length")
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--sentences", type=int, default=6, help="first N sentence ends probed")
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    traces = organism_traces(args.model, args.out, ks, args.n, args.samples, args.temperature,
                             device=args.device)
    acts = activations(args.model, traces, args.out / "acts", "sentence_ends",
                       device=args.device)
    keys = [f"sent{i}" for i in range(args.sentences)]
    summary = probe(acts, traces, "correct", args.out / "probe", None, keys)
    write_json(args.out / "summary.json", summary)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
