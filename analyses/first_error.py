"""First-error detection on human-labelled multistep arithmetic (BIG-Bench-Mistake format).

    python analyses/first_error.py --data ../shared/data/bbm-arithmetic-dev --out results/fe

Prints the first-error index accuracy (Wilson 95% CI, n), the error-detection accuracy (any
error vs none), the step error rate over checkable steps, and lists the disagreements so label
noise can be told from checker mistakes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from thinkscope.analyze.errors import check_traces, write_errors
from thinkscope.report import write_page
from thinkscope.traces.io import import_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="BIG-Bench-Mistake JSONL file or folder")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    store = import_data(args.data, args.out / "store")
    traces = {t.trace_id: t for t in store.iter_traces()}
    df = check_traces(traces.values(), "gold", progress=False)
    summary = write_errors(df, args.out)
    for model, g in summary["groups"].items():
        r = g["step_error_rate"]
        print(f"{model}: n={g['n_traces']} traces; step error rate {r['value']} {r['ci95']} "
              f"({r['numerator']}/{r['denominator']} checkable steps)")
        w = g["traces_with_wrong_restatement"]
        if w["k"]:
            print(f"  traces restating the problem wrongly (a wrong plan, kept apart from step "
                  f"errors): {w['k']}/{w['n']}")
        if "first_error_accuracy" in g:
            f, d = g["first_error_accuracy"], g["error_detection_accuracy"]
            print(f"  first-error index accuracy {f['value']} {f['ci95']} (n={f['n']}); "
                  f"error detected vs not {d['value']} {d['ci95']}")
    lab = df[df["gold_source"].notna()]
    diff = lab[~((lab["first_error_pred"] == lab["first_error_gold"]) |
                 (lab["first_error_pred"].isna() & lab["first_error_gold"].isna())).fillna(False)]
    if len(diff):
        print(f"\n{len(diff)} disagreement(s) (gold vs predicted first-error step):")
        for _, row in diff.iterrows():
            t = traces[row["trace_id"]]
            print(f"- {t.source}: gold {row['first_error_gold']}, predicted "
                  f"{row['first_error_pred']}; answer correct: {row['answer_correct']}")
    page = write_page(args.out, "First-error detection", [
        ("step error rate", args.out / "errors.png"), ("summary", summary)])
    print(f"\nwrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
