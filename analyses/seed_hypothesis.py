"""The seed hypothesis on organisms: does outcome-only RL leave reasoning messier than SFT?

Compares rl-outcome (GRPO, exact-answer reward) with its own starting point sft-coldstart on the
same problems at the temperature RL trained at: backtracking (keyword detector; the organisms'
"Wait, " corrections), step error rate against exact chain ground truth, and accuracy — each with
CIs and n, and the verdict measured, whatever it is.

    python analyses/seed_hypothesis.py --data results/run/store --out results/seed

``--data`` is a trace store holding both organisms' traces (``thinkscope run`` writes one); when
it holds none, they are generated into it first (100 problems x 2 samples each, T = 1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from thinkscope.analyze.behaviors import get_detector, label_traces, write_behaviors
from thinkscope.analyze.errors import check_traces, write_errors
from thinkscope.report import write_page
from thinkscope.traces import TraceStore

RL, SFT = "organism:rl-outcome", "organism:sft-coldstart"


def _ensure(store: TraceStore) -> None:
    from thinkscope.pipeline import Pipeline, Plan, TraceSet

    have = {t.model.id for t in store.iter_traces()}
    sets = tuple(TraceSet(m, 100, (2, 3, 4, 5, 6), 2, 1.0) for m in (SFT, RL) if m not in have)
    if sets:
        Pipeline(Plan("modarith", sets), store.root, progress=False, store=store).generate(
            store.root)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="trace store")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    store = TraceStore(args.data, create=True)
    _ensure(store)
    traces = [t for t in store.iter_traces(model=[RL, SFT]) if t.perturbation is None]
    beh = write_behaviors(label_traces(traces, get_detector("keyword"), "auto", progress=False),
                          args.out / "behaviors")
    err = write_errors(check_traces(traces, "auto", progress=False), args.out / "errors")
    rows = {}
    for m in (SFT, RL):
        b, e = beh["groups"][m], err["groups"][m]
        rows[m] = {"n_traces": b["n_traces"],
                   "backtracking_fraction": b["behaviors"]["backtracking"]["fraction"],
                   "backtracking_per_1k": b["behaviors"]["backtracking"]["per_1k_tokens"],
                   "step_error_rate": e["step_error_rate"], "n_checkable": e["n_checkable"],
                   "answer_accuracy": e["answer_accuracy"]}

    def verdict(name: str, key: str, value: str = "mean") -> str:
        a, b = rows[RL][key], rows[SFT][key]
        lo_a, hi_a = a["ci95"]
        lo_b, hi_b = b["ci95"]
        if lo_a > hi_b:
            word = "higher after RL (CIs apart)"
        elif hi_a < lo_b:
            word = "lower after RL (CIs apart)"
        else:
            word = "no difference resolved (CIs overlap)"
        return f"{name}: RL {a[value]} {a['ci95']} vs SFT {b[value]} {b['ci95']} -> {word}"

    verdicts = [verdict("backtracking fraction", "backtracking_fraction"),
                verdict("step error rate", "step_error_rate", "value"),
                verdict("answer accuracy", "answer_accuracy", "value")]
    for v in verdicts:
        print(v)
    (args.out / "seed_hypothesis.json").write_text(json.dumps(
        {"models": rows, "verdicts": verdicts}, indent=2) + "\n")
    page = write_page(args.out, "Does outcome RL leave reasoning messier than SFT? (organisms)", [
        ("verdicts", "\n".join(verdicts)), ("behaviours", args.out / "behaviors" / "behaviors.png"),
        ("step errors", args.out / "errors" / "errors.png"), ("numbers", rows)])
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
