"""The HTML report: one self-contained page (figures embedded as data URIs) rebuilt from a
results directory's saved tables alone, rendered by a jinja2 template with autoescaping, so every
model string is escaped; the page's script writes model text with ``textContent`` only."""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

from ..outputs import verify_outputs
from ._metrics import _load, collect_metrics, fold_baselines, registered_summaries

LABEL_COLOURS = {
    "backtracking": "#f4a3a3", "uncertainty-estimation": "#f7d08a", "example-testing": "#b5e3b0",
    "adding-knowledge": "#a9cdf0", "initializing": "#d9c2ef", "deduction": "#e3e3e3",
}
_TEMPLATES = Path(__file__).parent / "templates"
CSS = (_TEMPLATES / "report.css").read_text()


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)  # the template escapes


def _figures(out: Path) -> list[tuple[Path, str, str]]:
    """(png, caption, short title for the contents) for every figure present."""
    figs: list[tuple[Path, str, str]] = []
    for analysis, summary in registered_summaries(out):
        figs.append((analysis.figure_path(out / analysis.name), analysis.caption(summary),
                     analysis.title or analysis.name))
    for d in sorted((out / "probes").glob("*")):
        p = _load(d / "summary.json")
        if not p:
            continue
        for png in sorted(d.glob("heatmap_*.png")):
            probe = png.stem.removeprefix("heatmap_")
            figs.append((png, f"{probe} probe for {p.get('target')} on {p.get('model')}: "
                              f"out-of-fold accuracy per layer x position, folds grouped by "
                              f"{p.get('group_by', 'problem')} ({p.get('n_traces')} traces); "
                              f"'sel' = selectivity (accuracy minus control-task accuracy).",
                         f"{probe.replace('_', '-')} probe: {p.get('target')} on "
                         f"{p.get('model')}"))
        steer = d / "steer_summary.json"
        if steer.exists():
            from ..figures import steering_figure

            st = _load(steer) or {}
            files = out / "report_files"
            files.mkdir(exist_ok=True)
            png = steering_figure(steer, files / f"steer-{d.name}.png")
            figs.append((png, f"Steering along the {p.get('target')} probe of {p.get('model')} "
                              f"(layer {st.get('layer')}, {st.get('n_traces')} traces, "
                              f"{st.get('n_random')} random directions of the same norm): "
                              "answers changed along the probe vs along random directions, and "
                              "how often a random push left no answer at all; " +
                              (str(st.get("alpha_rule")) + "." if st.get("alpha_rule") else
                               "one strength."),
                         f"steering: {p.get('target')} on {p.get('model')}"))
    return [f for f in figs if f[0].exists()]


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


def _env() -> Any:
    import jinja2

    # autoescape: every string from the results (model ids, model text) is escaped
    return jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _table_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summary rows for the template: headline numbers with their baselines beside them."""
    out = []
    for r in fold_baselines(rows):
        v = r["value"]
        out.append({**r, "value_text": _fmt(v), "value_sort": v if isinstance(v, (int, float))
                    and not isinstance(v, bool) else "",
                    "ci_text": f"[{_fmt(r['lo'])}, {_fmt(r['hi'])}]" if r["lo"] is not None
                    else "–", "n_text": _fmt(r["n"]), "n_sort": r["n"] if r["n"] is not None
                    else "",
                    "beside": [f"{b['name']} {_fmt(b['value'])}" for b in r["beside"]
                               if b["value"] is not None]})
    return out


def build_report(out: str | Path, title: str = "thinkscope report", strict: bool = False
                 ) -> Path:
    """Write ``OUT/report.html`` and ``OUT/summary.json`` from the saved results under OUT.

    The page opens with the key findings in sentences, then a sortable, filterable summary
    table, the figures, what was skipped, a trace browser and the methods; it is one file with
    no network access (figures as data URIs, data as embedded JSON).

    Every output is first checked against its manifest (``thinkscope.outputs``): incomplete or
    mixed outputs are listed at the top of the page and in ``summary.json``'s ``problems``, or,
    with ``strict``, refused (``StaleOutputsError``)."""
    from ._browser import browser_data, json_for_script
    from ._findings import findings

    out = Path(out)
    problems = verify_outputs(out)
    if strict and problems:
        raise StaleOutputsError("; ".join(problems))
    rows = collect_metrics(out)
    figs = _figures(out)
    skipped = [(a, str(s["skipped"])) for a, s in registered_summaries(out) if s.get("skipped")]
    said = findings(out, rows)
    browser = browser_data(out)
    browser["colours"] = LABEL_COLOURS
    capped = browser["capped"]
    note = (f"{len(browser['traces'])} traces: filter them, click one to open it (its problem, "
            "answers, hint, segments coloured by behaviour label, first erroneous step, and its "
            "truncation / importance curves where it was analysed). The address keeps the "
            "filters and the open trace, so a view can be linked.")
    if capped:
        shown = {m: sum(t["model"] == m for t in browser["traces"]) for m in capped}
        note += " Not every trace is embedded: " + ", ".join(
            f"{m} {shown[m]} of {n}" for m, n in capped.items()) + \
            " (those with curves and errors first)."
    fig_items = [{"anchor": f"fig-{i}", "caption": c, "title": t,
                  "data": base64.b64encode(f.read_bytes()).decode()}
                 for i, (f, c, t) in enumerate(figs)]
    table_rows = _table_rows(rows)
    page = out / "report.html"
    page.write_text(_env().get_template("report.html.j2").render(
        title=title, css=CSS, problems=problems, results_dir=str(out.resolve()),
        findings=said, rows=table_rows,
        analyses=list(dict.fromkeys(r["section"] for r in table_rows)),
        groups=sorted({r["group"] for r in table_rows}),
        figures=fig_items, skipped=[(a.title or a.name, reason) for a, reason in skipped],
        browser_note=note, label_colours=LABEL_COLOURS,
        trace_json=json_for_script(browser), methods=METHODS,
        script=(_TEMPLATES / "report.js").read_text()))
    timings = {}
    for done in out.glob("*/.done"):
        try:
            timings[done.parent.name] = json.loads(done.read_text()).get("seconds")
        except ValueError:
            timings[done.parent.name] = None
    (out / "summary.json").write_text(json.dumps({"metrics": rows, "findings": said, "figures": [
        {"path": str(f.relative_to(out)), "caption": c} for f, c, _ in figs],
        "step_seconds": timings, "problems": problems,
        "skipped": {a.name: reason for a, reason in skipped}}, indent=1, default=str))
    return page
