"""Agreement of our behaviour detectors with LLM labels on segment-labelled files (Venhoff
format), and the RL-distill vs instruct comparison of backtracking.

    python analyses/behavior_agreement.py --data ../shared/data/venhoff-dev --out results/ba

Prints, per model and detector, backtracking precision/recall/F1, macro-F1 and Cohen's kappa
(n segments); the shipped classifier counts as *unseen* only on files it was not fitted on (its
fit_report.json lists the models it saw). ``--cv`` adds a refit on the given data with grouped
cross-validation and leave-one-model-out, the honest estimate when no unseen file is at hand.
Last, how consistent the gold labels are with themselves across near-identical segments.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from thinkscope.analyze.behaviors import (
    BehaviorClassifier,
    fit_classifier,
    format_agreement,
    get_detector,
    gold_segments,
    label_consistency,
    label_traces,
    write_behaviors,
)
from thinkscope.report import write_page
from thinkscope.traces.io import import_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="file or folder of segment-labelled traces")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--cv", action="store_true", help="also refit with grouped CV and LOMO")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    traces = list(import_data(args.data, args.out / "store").iter_traces())
    seen = set(BehaviorClassifier.load().meta.get("models", []))
    results: dict[str, dict] = {}
    sections: list[tuple[str, object]] = []
    for name in ("keyword", "classifier"):
        res = label_traces(traces, get_detector(name), "gold", progress=False)
        summary = write_behaviors(res, args.out / name)
        results[name] = summary
        sections.append((f"{name} detector", args.out / name / "behaviors.png"))
        print(f"\n== detector: {name}")
        for model, g in summary["groups"].items():
            bt = g["behaviors"]["backtracking"]["per_1k_tokens"]
            line = (f"{model}: n={g['n_traces']} traces; backtracking per 1k tokens "
                    f"{bt['mean']} {bt['ci95']}")
            a = g.get("agreement")
            if a:
                b = a["per_label"]["backtracking"]
                tag = " (fitted on this model: in-sample)" if name == "classifier" and \
                    model in seen else ""
                line += (f"\n    vs gold{tag}: backtracking P {b['precision']} R {b['recall']} "
                         f"(support {b['support']}); {format_agreement(a)}")
            print(line)
    if args.cv:
        _, report = fit_classifier(traces)
        results["refit_cv"] = report
        cv = report.get("grouped_cv", {}).get("all")
        if cv:
            print(f"\n== refit, grouped 5-fold CV (whole traces held out): "
                  f"{format_agreement(cv)}")
        for model, a in report.get("leave_one_model_out", {}).items():
            print(f"== refit, leave-one-model-out, tested on {model}: {format_agreement(a)}; "
                  f"trained labels {a['labels_in_training']}")
    segs, labels, groups, _ = gold_segments(traces)
    if segs:
        c = label_consistency([s.text for s in segs], labels, groups, threshold=0.8)
        results["label_consistency"] = c
        if c["n_with_twin"]:
            print(f"\n== gold labels vs themselves: of {c['n_segments']} segments, "
                  f"{c['n_with_twin']} have a near-twin in another trace (cosine >= "
                  f"{c['threshold']}); the twins' gold labels agree {c['agreement']}, kappa "
                  f"{c['kappa']} — a ceiling for any detector that reads the segment's text")
    (args.out / "agreement.json").write_text(json.dumps(results, indent=2) + "\n")
    page = write_page(args.out, "Behaviour detectors vs LLM labels", sections + [
        ("numbers", {k: v.get("groups", v) for k, v in results.items()})])
    print(f"\nwrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
