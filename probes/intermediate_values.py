"""Intermediate values that never appear in the text: probes on the latent organisms (answers
right after an empty think block: latent-stepwise, taught to stop writing its chain one step at
a time, and latent, trained that way from scratch) and the filler organism (dots in place of
the chain).

For two-step chains ``start s, op1 a1, op2 a2`` the value after step 1 is never written by
these organisms. It is probed at the prompt positions where it could first be computed (the
comma after step 1), later in the prompt, at the filler dots, and at the answer position, per
layer, against the control task (a random function of the step's surface form), shuffled labels,
the majority class, layer 0, a random-init copy and a text-only classifier. Folds are grouped by
the step's inputs (``--group-by input``, the default here): no held-out chain shares its first
step with a training chain, so a probe cannot score by memorising the 270-entry table of first
steps — which random features of the inputs do (a random-init model decodes the value well above
chance under problem-grouped folds). Then the causal check: steering along the best probe's
direction vs random directions of the same norm.

    python probes/intermediate_values.py --out results/intermediate
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import activations, organism_traces, probe, write_json

#: prompt keys of a two-step chain (tokens before the prompt's end): 17 = the comma after step
#: 1, 14 = step 2's operand, 5 = the question's last character, 0 = the generation prompt's end
PROMPT_KEYS = ["prompt-17", "prompt-14", "prompt-5", "prompt-0", "answer"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("results/intermediate_values"))
    ap.add_argument("--models", default="organism:latent-stepwise,organism:latent,"
                                        "organism:filler")
    ap.add_argument("--group-by", default="input", choices=["input", "problem"])
    ap.add_argument("--n", type=int, default=385, help="two-step problems (held out)")
    ap.add_argument("--steer-alpha", type=float, default=1.0)
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    summaries = {}
    for model in args.models.split(","):
        name = model.removeprefix("organism:")
        out = args.out / name
        traces = organism_traces(model, out, [2], args.n, device=args.device)
        positions = "prompt,answer" + (",filler" if "filler" in name else "")
        acts = activations(model, traces, out / "acts", positions, device=args.device)
        rand = activations(model, traces, out / "acts-random-init", positions, random_init=0,
                           device=args.device)
        keys = PROMPT_KEYS + sorted({k for k in acts.meta["key"] if k.startswith("filler")})
        summaries[name] = probe(acts, traces, "intermediate_1", out / "probe", rand, keys,
                                group_by=args.group_by)
        steer_out = steer_best(model, traces, out / "probe", args.steer_alpha, args.device)
        summaries[name]["steer"] = steer_out
    write_json(args.out / "summary.json", summaries)
    print(f"wrote {args.out}")
    return 0


def steer_best(model: str, traces: list, probe_dir: Path, alpha: float,
               device: str | None) -> dict:
    """Steer along the final-answer direction the best mass-mean probe of the value found."""
    import json

    import numpy as np

    from thinkscope.models import load_model
    from thinkscope.probing import load_probe, steer

    path = next(iter(sorted((probe_dir / "probes").glob("mass_mean_*.json")))).with_suffix("")
    est = load_probe(path)
    info = json.loads(path.with_suffix(".json").read_text())["extra"]
    lm = load_model(model, device=device)
    rng = np.random.default_rng(0)
    target = str(rng.choice(est.classes_))
    direction = est.directions_[list(map(str, est.classes_)).index(target)]
    table, summary = steer(lm.model, lm.tokenizer, traces, direction, int(info["layer"]),
                           alpha=alpha, n_random=8, target_answer=None)
    table.to_parquet(probe_dir / "steer.parquet", index=False)
    summary.update(probe_file=path.name, value_class=target)
    (probe_dir / "steer_summary.json").write_text(json.dumps(summary, indent=1))
    p, r = summary["probe"], summary["random"]
    print(f"steer {model} L{info['layer']} alpha={alpha}: changed {p['value']:.3f} "
          f"{p['ci95']} n={p['n']} vs random {r['value']:.3f} {r['ci95']} n={r['n']}")
    return summary


if __name__ == "__main__":
    raise SystemExit(main())
