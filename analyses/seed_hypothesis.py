"""The seed hypothesis: does outcome-only RL leave reasoning messier than SFT on clean chains?

Compares, on the same held-out problems with the same seeds at the temperature RL trained at
(1.0), an outcome-reward GRPO organism with its own starting point (the cold-start SFT model) and,
where the preset has one, with an SFT arm trained from the same start on clean chains with as
many training sequences as RL sampled. Each model is measured the way the longitudinal analysis
measures a checkpoint: accuracy, backtracking share (keyword and classifier detectors), step error
rate against exact chain ground truth, CoT length, early-answering AOC and answer change under an
inserted mistake, each with a 95% CI and n. The verdict is the measured one, whatever it is.

    python analyses/seed_hypothesis.py --data results/seed/store --out results/seed
    python analyses/seed_hypothesis.py --preset smollm2 --data DIR/store --out DIR

Presets: ``char`` (char-level organisms ``sft-coldstart`` -> ``rl-outcome``, chains of 2-6
steps) and ``smollm2`` (SmolLM2-135M-Instruct + LoRA: ``smollm2-sft-coldstart`` ->
``smollm2-rl-outcome``, with the SFT arm ``smollm2-sft-coldstart-clean``, chains of 2-4
steps). The char preset has no SFT arm from the same start. ``--data`` is a
trace store; the models' traces missing from it are generated first (resumable).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from thinkscope.analyze import AnalysisContext
from thinkscope.analyze.longitudinal import LABELS, Checkpoint, measure_checkpoint
from thinkscope.figures import model_comparison_figure
from thinkscope.pipeline import Pipeline, Plan, TraceSet
from thinkscope.report import write_page
from thinkscope.traces import TraceStore


@dataclass(frozen=True)
class Arms:
    """The models compared: RL, its starting point, and the SFT arm from the same start."""

    rl: str
    start: str
    sft: str | None
    ks: tuple[int, ...]
    problems: int


PRESETS = {
    "char": Arms("organism:rl-outcome", "organism:sft-coldstart", None, (2, 3, 4, 5, 6), 100),
    "smollm2": Arms("organism:smollm2-rl-outcome", "organism:smollm2-sft-coldstart",
                    "organism:smollm2-sft-coldstart-clean", (2, 3, 4), 60),
}


def compare(a: dict[str, Any], b: dict[str, Any]) -> str:
    """``higher`` / ``lower`` (of ``a`` against ``b``) when the 95% CIs are apart, else
    ``no difference resolved``."""
    if a["value"] is None or b["value"] is None:
        return "not measured"
    if a["ci_low"] > b["ci_high"]:
        return "higher (CIs apart)"
    if a["ci_high"] < b["ci_low"]:
        return "lower (CIs apart)"
    return "no difference resolved (CIs overlap)"


def _fmt(c: dict[str, Any]) -> str:
    return f"{c['value']:.3g} [{c['ci_low']:.3g}, {c['ci_high']:.3g}] (n={c['n']})"


def verdicts(table: pd.DataFrame, arms: Arms) -> list[str]:
    """One line per metric: RL against its start and against the SFT arm."""
    cells = {(r["model"], r["metric"]): r for r in table.to_dict("records")}
    out = []
    for key, label in LABELS.items():
        rl = cells.get((arms.rl, key))
        if rl is None or rl["value"] is None:
            continue
        parts = [f"{label}: RL {_fmt(rl)}"]
        for name, other in (("start", arms.start), ("SFT", arms.sft)):
            o = cells.get((other, key)) if other else None
            if o is not None and o["value"] is not None:
                parts.append(f"vs {name} {_fmt(o)} -> RL {compare(rl, o)}")
        out.append("; ".join(parts))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="char")
    ap.add_argument("--data", required=True, type=Path, help="trace store")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--problems", type=int, help="held-out problems (default: the preset's)")
    ap.add_argument("--samples", type=int, default=2, help="samples per problem")
    ap.add_argument("--faith-traces", type=int, default=40,
                    help="traces per model for AOC and inserted mistakes")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    arms = PRESETS[args.preset]
    models = [m for m in (arms.start, arms.sft, arms.rl) if m]
    args.out.mkdir(parents=True, exist_ok=True)
    store = TraceStore(args.data, create=True)
    plan = Plan("modarith", tuple(TraceSet(m, args.problems or arms.problems, arms.ks,
                                           args.samples, 1.0, max_tokens=160) for m in models))
    pipe = Pipeline(plan, store.root, progress=not args.quiet, store=store)
    pipe.generate(store.root)
    ctx = AnalysisContext(backend=pipe.backend, builder=pipe.builder, progress=not args.quiet)
    rows: list[dict[str, Any]] = []
    for i, m in enumerate(models):
        traces = [t for t in store.iter_traces(model=[m]) if t.perturbation is None]
        backend = ctx.backend(m) if ctx.backend else None
        builder = ctx.builder(m) if ctx.builder and backend is not None else None
        rows.extend(measure_checkpoint(Checkpoint(m, i, None, traces), backend, builder,
                                       args.faith_traces))
    table = pd.DataFrame(rows).drop(columns=["step", "tokens"])
    table.to_parquet(args.out / "seed_hypothesis.parquet", index=False)
    lines = verdicts(table, arms)
    for v in lines:
        print(v)
    per_model = {m: {r["metric"]: {"value": r["value"], "ci95": [r["ci_low"], r["ci_high"]],
                                   "n": int(r["n"])}
                     for r in rows if r["model"] == m} | {"n_traces": next(
                         r["n_traces"] for r in rows if r["model"] == m)}
                 for m in models}
    (args.out / "seed_hypothesis.json").write_text(json.dumps(
        {"preset": args.preset, "arms": {"rl": arms.rl, "start": arms.start, "sft": arms.sft},
         "models": per_model, "verdicts": lines}, indent=2, default=float) + "\n")
    fig = model_comparison_figure(args.out / "seed_hypothesis.parquet",
                                  args.out / "seed_hypothesis.png")
    page = write_page(args.out, f"Does outcome RL leave reasoning messier than SFT? "
                                f"({args.preset})",
                      [("verdicts", "\n".join(lines)), ("each metric by model", fig),
                       ("numbers", per_model)])
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
