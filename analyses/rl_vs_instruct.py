"""RL-distill vs instruct: backtracking and step-error rates on segment-labelled trace files
(Venhoff format), per model, with bootstrap CIs over problems and n.

    python analyses/rl_vs_instruct.py --data ../shared/data/venhoff-dev --out results/rl_vs_instruct

Behaviours are labelled by the keyword and the shipped classifier detectors (both named beside
every number); step errors by the safe arithmetic checker over the same segments. The last lines
say, for each pair of models of different kinds, whether the RL model's backtracking rate is
higher with CIs apart.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from thinkscope.analyze.behaviors import get_detector, label_traces, write_behaviors
from thinkscope.analyze.errors import check_traces, write_errors
from thinkscope.report import write_page
from thinkscope.traces.io import import_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="file or folder of Venhoff-format traces")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    traces = list(import_data(args.data, args.out / "store").iter_traces())
    kinds = {t.model.id: t.model.kind.value for t in traces}
    results: dict[str, object] = {"model_kinds": kinds}
    sections: list[tuple[str, object]] = []
    for name in ("keyword", "classifier"):
        summary = write_behaviors(label_traces(traces, get_detector(name), "gold",
                                               progress=False), args.out / name)
        results[name] = {m: {"n_traces": g["n_traces"],
                             **{k: g["behaviors"]["backtracking"][k]
                                for k in ("fraction", "per_1k_tokens")}}
                         for m, g in summary["groups"].items()}
        sections.append((f"behaviours ({name} detector)", args.out / name / "behaviors.png"))
    errors = write_errors(check_traces(traces, "gold", progress=False), args.out / "errors")
    results["errors"] = {m: {k: g[k] for k in ("n_traces", "n_checkable", "step_error_rate",
                                               "answer_accuracy")}
                         for m, g in errors["groups"].items()}
    sections.append(("step errors", args.out / "errors" / "errors.png"))
    verdicts = []
    rl = [m for m, k in kinds.items() if k == "rl"]
    other = [m for m, k in kinds.items() if k != "rl"]
    for det in ("keyword", "classifier"):
        per = results[det]
        assert isinstance(per, dict)
        for a in rl:
            for b in other:
                ra, rb = per[a]["per_1k_tokens"], per[b]["per_1k_tokens"]
                apart = ra["ci95"][0] is not None and rb["ci95"][1] is not None and \
                    ra["ci95"][0] > rb["ci95"][1]
                verdicts.append(f"{det}: backtracking per 1k tokens {a} {ra['mean']} {ra['ci95']} "
                                f"(n={ra['n']}) vs {b} {rb['mean']} {rb['ci95']} (n={rb['n']}): "
                                f"{'higher, CIs apart' if apart else 'not higher with CIs apart'}")
    for m, e in results["errors"].items():  # type: ignore[union-attr]
        r = e["step_error_rate"]
        print(f"step errors {m}: {r['value']} {r['ci95']} over {e['n_checkable']} checkable steps "
              f"({e['n_traces']} traces)")
    for v in verdicts:
        print(v)
    results["verdicts"] = verdicts
    (args.out / "rl_vs_instruct.json").write_text(json.dumps(results, indent=2) + "\n")
    page = write_page(args.out, "RL-distill vs instruct: backtracking and step errors",
                      sections + [("verdicts", "\n".join(verdicts)), ("numbers", results)])
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
