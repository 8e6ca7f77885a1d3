"""Behaviour along an RL run: every kept checkpoint of an RL organism, measured the same way.

Generates traces at each checkpoint (``organism:NAME@STEP``) on the same held-out problems with
the same seeds at the training temperature, then runs the registered ``longitudinal`` analysis:
accuracy, backtracking share (keyword and classifier detectors), step error rate against exact
ground truth, CoT length, early-answering AOC and answer change under an inserted mistake, each
with n and a 95% CI, against training step and tokens trained.

    python analyses/longitudinal_rl.py --out results/longitudinal
    python analyses/longitudinal_rl.py --organism smollm2-rl-outcome --problems 60 --out DIR

Writes ``DIR/store`` (resumable: a rerun generates only what is missing),
``DIR/longitudinal/`` (``longitudinal.parquet``, ``longitudinal_summary.json``,
``longitudinal.png``) and ``DIR/report.html``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from thinkscope.analyze import ANALYSES, AnalysisContext, run_analysis
from thinkscope.organisms import checkpoint_steps
from thinkscope.pipeline import Pipeline, Plan, TraceSet
from thinkscope.report import write_page
from thinkscope.traces import TraceStore


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--organism", default="smollm2-rl-outcome")
    ap.add_argument("--problems", type=int, default=60, help="held-out problems, k = 2..4")
    ap.add_argument("--samples", type=int, default=2, help="samples per problem")
    ap.add_argument("--temperature", type=float, default=1.0, help="the training temperature")
    ap.add_argument("--faith-traces", type=int, default=40,
                    help="traces per checkpoint for AOC and inserted mistakes")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    steps = checkpoint_steps(args.organism)
    if len(steps) < 2:
        raise SystemExit(f"error: organism:{args.organism} kept {len(steps)} checkpoint(s); "
                         f"train it with `thinkscope organisms train {args.organism}`")
    refs = [f"organism:{args.organism}@{s}" for s in steps]
    args.out.mkdir(parents=True, exist_ok=True)
    store = TraceStore(args.out / "store", create=True)
    plan = Plan("modarith", tuple(TraceSet(r, args.problems, (2, 3, 4), args.samples,
                                           args.temperature, max_tokens=128) for r in refs))
    pipe = Pipeline(plan, args.out, progress=not args.quiet, store=store)
    pipe.generate(args.out)
    traces = [t for t in store.iter_traces(model=refs) if t.perturbation is None]
    ctx = AnalysisContext(backend=pipe.backend, builder=pipe.builder, progress=not args.quiet)
    summary = run_analysis("longitudinal", traces, args.out / "longitudinal",
                           {"faith_traces": args.faith_traces}, ctx,
                           {"organism": args.organism, "checkpoints": refs})
    analysis = ANALYSES.lookup("longitudinal")
    for line in analysis.findings(summary) if analysis.findings else []:
        print(line)
    write_page(args.out, f"organism:{args.organism} along RL",
               [("along training", args.out / "longitudinal" / "longitudinal.png"),
                ("summary (first and last checkpoint of each metric)", summary)])
    print(f"wrote {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
