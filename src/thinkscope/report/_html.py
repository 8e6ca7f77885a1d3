"""The HTML report: one self-contained page (figures embedded as data URIs) rebuilt from a
results directory's saved tables alone. All model text goes through ``html.escape``."""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..outputs import verify_outputs
from ._metrics import collect_metrics, registered_summaries

LABEL_COLOURS = {
    "backtracking": "#f4a3a3", "uncertainty-estimation": "#f7d08a", "example-testing": "#b5e3b0",
    "adding-knowledge": "#a9cdf0", "initializing": "#d9c2ef", "deduction": "#e3e3e3",
}
CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;color:#222;padding:0 1em}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.2em 0}figcaption{font-size:13px;color:#444;max-width:950px}
img{max-width:100%}.trace{border:1px solid #ddd;border-radius:6px;padding:.6em;margin:1em 0}
.seg{padding:1px 3px;margin:1px;border-radius:3px;display:inline-block;white-space:pre-wrap;
font-family:ui-monospace,monospace;font-size:12px}.first-error{outline:2px solid #c00}
.legend span{margin-right:.6em}details{margin:.4em 0}.small{font-size:12px;color:#555}
"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else html.escape(str(v))


def _summary_table(rows: list[dict[str, Any]]) -> str:
    out = ["<table id='summary-table'><tr><th>analysis</th><th>model / group</th><th>metric</th>"
           "<th>value</th><th>95% CI</th><th>n</th></tr>"]
    for r in rows:
        ci = f"[{_fmt(r['lo'])}, {_fmt(r['hi'])}]" if r["lo"] is not None else "–"
        out.append(f"<tr><td>{html.escape(r['section'])}</td><td>{html.escape(r['group'])}</td>"
                   f"<td>{html.escape(r['metric'])}</td><td class=num>{_fmt(r['value'])}</td>"
                   f"<td class=num>{ci}</td><td class=num>{_fmt(r['n'])}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def _n_traces(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "?"
    return str(sum(int(g.get("n_traces", 0)) for g in summary.get("groups", {}).values()))


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


#: (summary file, figure, caption from the summary) of each analysis, in report order.
_FIGURES: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
    ("behaviors/summary.json", "behaviors/behaviors.png", lambda b: (
        f"Behaviour rates by model: fraction of segments and rate per 1k reasoning tokens, "
        f"bootstrap 95% CIs over problems; detector {b['detector']}, {b['segments']} segments, "
        f"{_n_traces(b)} traces.")),
    ("errors/summary.json", "errors/errors.png", lambda e: (
        f"Step error rate (erroneous / checkable steps, safe symbolic checker; organism chains "
        f"against exact ground truth) by model, with the checkable steps behind each bar; "
        f"{_n_traces(e)} traces (answer accuracy is in the summary table).")),
    ("early/early_answering_summary.json", "early/early_answering.png", lambda ea: (
        f"Early answering: the CoT cut at fixed fractions (snapped to sentence ends), an answer "
        f"forced at token level; % equal to the full-CoT answer, Wilson 95% bands; "
        f"{_n_traces(ea)} traces.")),
    ("mistakes/mistakes_summary.json", "mistakes/mistakes.png", lambda _: (
        "Adding mistakes: one arithmetic result corrupted, the answer forced right after it or "
        "the model left to continue; % of answers changed by the corrupted step's position, "
        "Wilson 95% CIs.")),
    ("filler/filler_summary.json", "filler/filler.png", lambda _: (
        "Filler control: accuracy with the original CoT, with the CoT replaced by as many "
        "filler tokens, and with no CoT (Wilson 95% CIs).")),
    ("importance/importance_summary.json", "importance/importance.png", lambda im: (
        f"Sentence importance of one trace (Thought Anchors): KL between answer distributions "
        f"resampled with and without each sentence; counterfactual variant keeps resamples "
        f"that differ in meaning ({im.get('similarity')}).")),
]


def _figures(out: Path) -> list[tuple[Path, str]]:
    """(png, caption) for every figure present."""
    figs: list[tuple[Path, str]] = []
    for summary_file, png_file, caption in _FIGURES:
        summary = _load(out / summary_file)
        if summary:
            figs.append((out / png_file, caption(summary)))
    for d in sorted((out / "probes").glob("*")):
        p = _load(d / "summary.json")
        if not p:
            continue
        for png in sorted(d.glob("heatmap_*.png")):
            probe = png.stem.removeprefix("heatmap_")
            figs.append((png, f"{probe} probe for {p.get('target')} on {p.get('model')}: "
                              f"out-of-fold accuracy per layer x position, folds grouped by "
                              f"{p.get('group_by', 'problem')} ({p.get('n_traces')} traces); "
                              f"'sel' = selectivity (accuracy minus control-task accuracy)."))
    for analysis, summary in registered_summaries(out):
        figs.append((out / analysis.name / f"{analysis.name}.png", analysis.caption(summary)))
    return [(f, c) for f, c in figs if f.exists()]


def _skipped(skipped: list[tuple[Any, str]]) -> str:
    """Registered analyses that ran but could not do their work, each with the reason."""
    items = [f"<li><b>{html.escape(a.title or a.name)}</b>: {html.escape(reason)}</li>"
             for a, reason in skipped]
    return f"<h3 id=skipped>Skipped</h3><ul>{''.join(items)}</ul>" if items else ""


def _trace_examples(out: Path, per_model: int = 2) -> str:
    """Example traces, segments coloured by behaviour, first erroneous step outlined, with the
    trace's truncation / importance plots where it was analysed."""
    from ..figures import importance_figure, trace_truncation_figure

    seg_path = out / "behaviors" / "segments.parquet"
    if not seg_path.exists():
        return "<p>No labelled segments.</p>"
    segs = pd.read_parquet(seg_path)
    errs = pd.read_parquet(out / "errors" / "traces.parquet") \
        if (out / "errors" / "traces.parquet").exists() else pd.DataFrame()
    first = dict(zip(errs["trace_id"], errs["first_error_pred"])) if len(errs) else {}
    early = out / "early" / "early_answering.parquet"
    early_ids = set(pd.read_parquet(early, columns=["trace_id"])["trace_id"]) \
        if early.exists() else set()
    imp = out / "importance" / "importance.parquet"
    imp_ids = set(pd.read_parquet(imp, columns=["trace_id"])["trace_id"]) if imp.exists() \
        else set()
    plots = out / "report_files"
    plots.mkdir(exist_ok=True)
    legend = "".join(f"<span class=seg style='background:{c}'>{html.escape(lab)}</span>"
                     for lab, c in LABEL_COLOURS.items())
    parts = [f"<p class=legend>{legend}<span class='seg first-error'>first erroneous step"
             f"</span></p>"]
    for model, g in segs.groupby("model", sort=True):
        ids = list(dict.fromkeys(g["trace_id"]))
        # prefer traces with plots, then traces with an error
        ids.sort(key=lambda t: (t not in imp_ids, t not in early_ids,
                                pd.isna(first.get(t))))
        for tid in ids[:per_model]:
            t = g[g["trace_id"] == tid].sort_values("segment_index")
            fe = first.get(tid)
            fe = None if fe is None or pd.isna(fe) else int(fe)
            spans = []
            for _, s in t.iterrows():
                colour = LABEL_COLOURS.get(str(s["label_pred"]), "#ffffff")
                cls = "seg first-error" if fe is not None and int(s["segment_index"]) == fe \
                    else "seg"
                spans.append(f"<span class='{cls}' style='background:{colour}' "
                             f"title='{html.escape(str(s['label_pred']))}'>"
                             f"{html.escape(str(s['text']))}</span>")
            extra = []
            if tid in early_ids:
                png = trace_truncation_figure(early, tid, plots / f"trunc-{tid[:12]}.png")
                extra.append(_img(png, "truncation curve"))
            if tid in imp_ids:
                png = importance_figure(imp, plots / f"imp-{tid[:12]}.png", trace_id=tid)
                extra.append(_img(png, "sentence importance"))
            err = f"first error at step {fe}" if fe is not None else "no step error found"
            parts.append(f"<div class=trace data-trace='{html.escape(tid)}'>"
                         f"<div class=small>{html.escape(str(model))} · trace "
                         f"{html.escape(tid[:12])} · {len(t)} segments · {err}</div>"
                         f"<div>{''.join(spans)}</div>{''.join(extra)}</div>")
    return "\n".join(parts)


METHODS = """
<h2 id=methods>Methods</h2>
<ul>
<li><b>Traces</b> are generated at token level (chat template, then <code>&lt;think&gt;</code>);
the model's own token ids are stored with each trace, so every intervention cuts at token ids.
</li>
<li><b>Behaviours</b>: each reasoning sentence/line is labelled backtracking,
uncertainty-estimation, example-testing, adding-knowledge, initializing or deduction (Venhoff et
al. 2025). The detector is named beside each number; the keyword detector has high recall and low
precision against LLM labels.</li>
<li><b>Step errors</b>: arithmetic claims are checked by a safe AST evaluator with exact rational
arithmetic (never <code>eval</code>); organism chains are checked against exact ground truth. Error
rate = erroneous / checkable steps, with the number of checkable steps.</li>
<li><b>Early answering</b> (Lanham et al. 2023): the CoT is cut at sentence ends and at fixed
fractions, <code>&lt;/think&gt;</code> and an answer cue appended, the answer read greedily; the
area over the "% same" curve (AOC) is high when the answer depends on the CoT. Traces of the
hint-following organism (<code>sft-hinted</code>) carry a metadata hint naming a wrong answer.</li>
<li><b>Adding mistakes</b>: one stated result is changed; the answer is forced right after it
or the model continues. <b>Filler</b>: the CoT is replaced by as many filler tokens.</li>
<li><b>Importance</b> (Bogdan et al. 2025): continuations resampled from the prefix before and
through each sentence; importance = change in accuracy and KL between answer distributions.</li>
<li><b>Probes</b>: teacher-forced activations; logistic (C by inner grouped CV) and mass-mean
probes; folds grouped by problem, or by the target's inputs where the summary says
<code>group_by: input</code> (no held-out row shares its inputs with a training row, so a lookup
table of inputs cannot be memorised); control task and selectivity (Hewitt &amp; Liang 2019),
shuffled labels, majority class, layer 0, a random-init model and a text-only classifier
beside every number; positions where the text already states the target are masked.
<b>Steering</b> adds the probe direction (norm = the layer's mean residual norm) during generation
and compares answer changes with random directions of the same norm.</li>
<li>All intervals are 95%: bootstrap over problems for means, Wilson for proportions; n is shown
next to every number.</li>
</ul>
"""


class StaleOutputsError(RuntimeError):
    """Outputs under the results directory are incomplete or mixed from two runs."""


def build_report(out: str | Path, title: str = "thinkscope report", strict: bool = False
                 ) -> Path:
    """Write ``OUT/report.html`` and ``OUT/summary.json`` from the saved results under OUT.

    Every output is first checked against its manifest (``thinkscope.outputs``): incomplete or
    mixed outputs are listed at the top of the page and in ``summary.json``'s ``problems``, or,
    with ``strict``, refused (``StaleOutputsError``)."""
    out = Path(out)
    problems = verify_outputs(out)
    if strict and problems:
        raise StaleOutputsError("; ".join(problems))
    rows = collect_metrics(out)
    figs = _figures(out)
    warn = ""
    if problems:
        warn = ("<div id=problems style='border:2px solid #c00;padding:.5em'><b>These outputs "
                "are incomplete or mixed from two runs; numbers from them may be stale:</b><ul>"
                + "".join(f"<li>{html.escape(p)}</li>" for p in problems) + "</ul></div>")
    body = [f"<h1>{html.escape(title)}</h1>", warn,
            f"<p class=small>Results directory: {html.escape(str(out.resolve()))}</p>",
            "<h2 id=summary>Summary</h2>", _summary_table(rows), "<h2 id=figures>Figures</h2>"]
    for png, caption in figs:
        body.append(f"<figure>{_img(png, caption)}<figcaption>{html.escape(caption)}"
                    f"</figcaption></figure>")
    skipped = [(a, str(s["skipped"])) for a, s in registered_summaries(out) if s.get("skipped")]
    body.append(_skipped(skipped))
    body.append("<h2 id=traces>Example traces</h2>")
    body.append(_trace_examples(out))
    body.append(METHODS)
    page = out / "report.html"
    page.write_text("<!doctype html><html lang=en><head><meta charset='utf-8'><title>" +
                    html.escape(title) + f"</title><style>{CSS}</style></head><body>" +
                    "\n".join(body) + "</body></html>")
    timings = {}
    for done in out.glob("*/.done"):
        try:
            timings[done.parent.name] = json.loads(done.read_text()).get("seconds")
        except ValueError:
            timings[done.parent.name] = None
    (out / "summary.json").write_text(json.dumps({"metrics": rows, "figures": [
        {"path": str(f.relative_to(out)), "caption": c} for f, c in figs],
        "step_seconds": timings, "problems": problems,
        "skipped": {a.name: reason for a, reason in skipped}}, indent=1, default=str))
    return page
