"""A Thought Anchors problem beside our analyses: their sentence importance by their function
tags and by our behaviour labels, and (with --model, on a GPU) our own resampling importance of
the same chunks.

    python analyses/thought_anchors.py --data ../shared/data/thought-anchors-example --out ta

Their chunks are imported as the trace's gold segments (tags and importance kept); our keyword
and classifier detectors label the same chunks, so importance can be read by our labels too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from thinkscope.analyze.behaviors import get_detector, trace_segments
from thinkscope.report import write_page
from thinkscope.stats import mean_ci
from thinkscope.traces.io import import_data

MEASURES = ("resampling_importance_accuracy", "resampling_importance_kl",
            "counterfactual_importance_accuracy", "counterfactual_importance_kl")


#: the importance each chunk is ranked by, first present wins: the resampling KL of the current
#: layout, else its accuracy form, else ``importance`` of their earlier layout (accuracy-based)
IMPORTANCE_KEYS = ("resampling_importance_kl", "resampling_importance_accuracy", "importance")


def _importance(chunk: dict) -> tuple[str, float] | None:
    for key in IMPORTANCE_KEYS:
        if chunk.get(key) is not None:
            return key, float(chunk[key])
    return None


def _by(group: dict[str, list[float]]) -> dict[str, dict]:
    return {k: mean_ci(v) for k, v in sorted(group.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--model", help="also resample with this model (GPU recommended)")
    ap.add_argument("--samples", type=int, default=8)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    traces = [t for t in import_data(args.data, args.out / "store").iter_traces()
              if t.annotations and t.annotations.chunks]
    if not traces:
        print(f"error: {args.data}: no Thought Anchors chunks found", file=sys.stderr)
        return 2
    results: dict[str, dict] = {}
    for det_name in ("keyword", "classifier"):
        det = get_detector(det_name)
        by_theirs: dict[str, list[float]] = defaultdict(list)
        by_ours: dict[str, list[float]] = defaultdict(list)
        agree: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        used: set[str] = set()
        for t in traces:
            segs = trace_segments(t, "gold")
            ours = det.predict(segs)
            for chunk, label in zip(t.annotations.chunks or [], ours):
                imp = _importance(chunk)
                if imp is None:
                    continue
                used.add(imp[0])
                for tag in chunk.get("function_tags") or ["(none)"]:
                    by_theirs[tag].append(imp[1])
                    agree[tag][str(label)] += 1
                by_ours[str(label)].append(imp[1])
        results[det_name] = {"importance": sorted(used), "their_tags": _by(by_theirs),
                             "our_labels": _by(by_ours),
                             "tag_vs_label_counts": {k: dict(v) for k, v in agree.items()}}
    top = []
    for t in traces:
        chunks = sorted(t.annotations.chunks or [],
                        key=lambda c: -((_importance(c) or ("", 0.0))[1]))[:5]
        top += [{"chunk_idx": c["chunk_idx"], "text": c["chunk"][:120],
                 "their_tags": c.get("function_tags"), **{m: c.get(m) for m in MEASURES}}
                for c in chunks]
    results["their_top_chunks"] = {"rows": top}
    if args.model:
        from thinkscope.analyze.faithfulness import sentence_importance, write_importance
        from thinkscope.generate import builder_for, get_backend

        be = get_backend("hf", args.model)
        res, imp = sentence_importance(traces, be, builder_for(args.model, be.tokenizer),
                                       samples=args.samples, max_tokens=4096)
        results["ours"] = write_importance(res, imp, args.out / "importance")
    for det_name in ("keyword", "classifier"):
        measure = ", ".join(results[det_name]["importance"]) or "none found"
        print(f"== their resampling importance ({measure}) by our {det_name} label:")
        for lab, c in results[det_name]["our_labels"].items():
            print(f"  {lab:24s} {c['mean']} {c['ci95']} n={c['n']}")
    print("== by their function tags:")
    for tag, c in results["keyword"]["their_tags"].items():
        print(f"  {tag:24s} {c['mean']} {c['ci95']} n={c['n']}")
    (args.out / "thought_anchors.json").write_text(json.dumps(results, indent=2) + "\n")
    page = write_page(args.out, "Thought Anchors beside thinkscope", list(results.items()))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
