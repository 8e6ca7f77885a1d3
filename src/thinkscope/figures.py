"""Figures, each drawn from a saved table or summary file (never from in-memory state), so a
report can be rebuilt from the results directory alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    # Labels are model ids and user text: a "$" must print as a dollar, not start mathtext.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def _texts(fig: Any) -> list[Any]:
    """Every visible, non-empty text of a figure: titles, axis labels, tick labels, legends,
    colorbar labels, annotations."""
    from matplotlib.text import Text

    hidden = set()  # labels of ticks outside the view limits: matplotlib does not draw them
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def text_outside(fig: Any, tolerance: float = 1.0) -> list[str]:
    """The texts of ``fig`` that do not fit inside it (they would be clipped in the PNG)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    for t in _texts(fig):
        e = t.get_window_extent(renderer)
        if (e.x0 < box.x0 - tolerance or e.y0 < box.y0 - tolerance or
                e.x1 > box.x1 + tolerance or e.y1 > box.y1 + tolerance):
            out.append(t.get_text())
    return out


def fit_texts(fig: Any, tries: int = 4) -> list[str]:
    """Lay ``fig`` out so that no text is clipped: wrap titles that are wider than the figure,
    then widen / heighten the figure until every text fits. Returns what still does not fit
    (empty unless something is pathologically long)."""
    import textwrap

    fig.tight_layout()
    for _ in range(tries):
        bad = text_outside(fig)
        if not bad:
            return []
        renderer = fig.canvas.get_renderer()
        width_px = fig.bbox.width
        for t in _texts(fig):
            e = t.get_window_extent(renderer)
            if t.get_text() in bad and e.width > 0.95 * width_px and "\n" not in t.get_text():
                chars = max(20, int(len(t.get_text()) * 0.9 * width_px / e.width))
                t.set_text(textwrap.fill(t.get_text(), chars))
        # whatever still sticks out: grow the canvas by the overhang and lay out again
        fig.canvas.draw()
        over_x = over_y = 0.0
        for t in _texts(fig):
            e = t.get_window_extent(renderer)
            over_x = max(over_x, fig.bbox.x0 - e.x0, e.x1 - fig.bbox.x1)
            over_y = max(over_y, fig.bbox.y0 - e.y0, e.y1 - fig.bbox.y1)
        w, h = fig.get_size_inches()
        fig.set_size_inches(w + 2 * max(0.0, over_x) / fig.dpi, h + 2 * max(0.0, over_y) / fig.dpi)
        fig.tight_layout()
    return text_outside(fig)


#: set by tests: every saved figure's texts that did not fit (empty when the layout is right)
LAYOUT_PROBLEMS: list[tuple[str, str]] = []


def _save(plt: Any, fig: Any, out_png: str | Path) -> Path:
    out = Path(out_png)
    for text in fit_texts(fig):
        LAYOUT_PROBLEMS.append((out.name, text))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _num(x: Any) -> str:
    """One precision for every number on a figure."""
    return "–" if x is None else f"{float(x):.2f}"


def _interval(p: dict[str, Any]) -> tuple[float, float, float]:
    """(value, distance to the lower bound, distance to the upper bound) of a proportion or
    ratio dict, for error bars (NaN and zero-width where undefined)."""
    v = p["value"] if p["value"] is not None else np.nan
    lo, hi = p["ci95"]
    return v, (v - lo) if lo is not None else 0.0, (hi - v) if hi is not None else 0.0


def _short(name: str, width: int = 28) -> str:
    """A label for ``name``: its last path part, wrapped (never cut) at ``width`` characters,
    breaking after ``:``, ``-`` or ``_`` where it can."""
    import re

    name = name.split("/")[-1]
    if len(name) <= width:
        return name
    lines, line = [], ""
    for piece in re.findall(r"[^:\-_]+[:\-_]?", name):
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\n".join(lines)


def behavior_rates_figure(traces_parquet: str | Path, out_png: str | Path, by: str = "model",
                          detector: str = "") -> Path:
    """Fraction of segments and rate per 1k tokens of each behaviour, by group, with bootstrap
    95% CIs over problems."""
    from .stats import mean_ci

    df = pd.read_parquet(traces_parquet)
    # the behaviour columns, in the order the analyzer wrote them (figures sit below analyze)
    behaviors = [c[len("frac_"):].replace("_", "-") for c in df.columns if c.startswith("frac_")]
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    groups = sorted(df[by].astype(str).unique()) if len(df) else []
    width = 0.8 / max(1, len(groups))
    x = np.arange(len(behaviors))
    for ax, prefix, title in ((axes[0], "frac", "fraction of segments"),
                              (axes[1], "per1k", "per 1k reasoning tokens")):
        for gi, g in enumerate(groups):
            sub = df[df[by].astype(str) == g]
            means, lo, hi = [], [], []
            for lab in behaviors:
                s = mean_ci(sub[f"{prefix}_{lab.replace('-', '_')}"].tolist(),
                            sub["problem_id"].tolist())
                m = s["mean"] if s["mean"] is not None else np.nan
                means.append(m)
                lo.append(m - (s["ci95"][0] if s["ci95"][0] is not None else m))
                hi.append((s["ci95"][1] if s["ci95"][1] is not None else m) - m)
            ax.bar(x + gi * width - 0.4 + width / 2, means, width, yerr=[lo, hi], capsize=2,
                   label=f"{_short(g)} (n={len(sub)})")
        ax.set_xticks(x, [b.replace("-", "-\n") for b in behaviors], fontsize=8)
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Reasoning behaviours by {by} (detector: {detector or df['detector'].iloc[0]}; "
                 "bars: 95% bootstrap CI over problems)" if len(df) else "no traces", fontsize=10)
    return _save(plt, fig, out_png)


def error_rates_figure(summary_json: str | Path, out_png: str | Path) -> Path:
    """Step error rate (errors / checkable steps) by group with 95% CIs and the n behind it."""
    summary = json.loads(Path(summary_json).read_text())
    plt = _pyplot()
    groups = list(summary["groups"])
    fig, ax = plt.subplots(figsize=(max(4, 1.6 * len(groups) + 2), 3.8))
    vals, lo, hi, labels = [], [], [], []
    for g in groups:
        r = summary["groups"][g]["step_error_rate"]
        v, d_lo, d_hi = _interval(r)
        vals.append(v)
        lo.append(d_lo)
        hi.append(d_hi)
        labels.append(f"{_short(g, 20)}\n" + (f"{r['denominator']} checkable steps"
                                               if r["denominator"] else
                                               "not measurable\n(0 checkable steps)"))
    ax.bar(range(len(groups)), vals, yerr=[lo, hi], capsize=3, color="#c0504d")
    ax.set_xticks(range(len(groups)), labels, fontsize=8)
    ax.set_ylabel("erroneous / checkable steps")
    ax.set_title("Step error rate (symbolic arithmetic check; 95% CI over problems)", fontsize=10)
    return _save(plt, fig, out_png)


def truncation_curve_figure(summary_json: str | Path, out_png: str | Path) -> Path:
    """% of answers equal to the full-CoT answer vs fraction of the CoT kept, one line per group
    with a Wilson 95% band; the legend gives each group's AOC with its CI and n."""
    summary = json.loads(Path(summary_json).read_text())
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, g in summary["groups"].items():
        f = [c["fraction"] for c in g["curve"]]
        v = [c["same"]["value"] for c in g["curve"]]
        lo = [c["same"]["ci95"][0] for c in g["curve"]]
        hi = [c["same"]["ci95"][1] for c in g["curve"]]
        a = g["aoc"]
        line = ax.plot(f, v, marker="o", ms=3,
                       label=f"{name.split('/')[-1]}: AOC {_num(a['mean'])} "
                             f"[{_num(a['ci95'][0])}, {_num(a['ci95'][1])}] "
                             f"(n={g['n_traces']})")
        ax.fill_between(f, lo, hi, alpha=0.2, color=line[0].get_color())
    ax.set_xlabel("fraction of the CoT kept (cut at sentence ends)")
    ax.set_ylabel("answer same as with the full CoT")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Early answering (forced answer after a truncated CoT)", fontsize=10)
    # below the axes: a legend inside would cover the curves it names
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1,
              frameon=False)
    return _save(plt, fig, out_png)


def mistake_position_figure(summary_json: str | Path, out_png: str | Path) -> Path:
    """% of answers changed by a corrupted step, by the step's index, per group and mode."""
    summary = json.loads(Path(summary_json).read_text())
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, g in summary["groups"].items():
        for mode, m in g.items():
            xs = [s["step_index"] for s in m["by_step"]]
            ys = [s["changed"]["value"] for s in m["by_step"]]
            lo = [s["changed"]["ci95"][0] for s in m["by_step"]]
            hi = [s["changed"]["ci95"][1] for s in m["by_step"]]
            line = ax.plot(xs, ys, marker="o", ms=3, linestyle="-" if mode == "continued"
                           else "--", label=f"{_short(name, 26)} ({mode}, n={m['changed']['n']})")
            ax.fill_between(xs, lo, hi, alpha=0.15, color=line[0].get_color())
    ax.set_xlabel("index of the corrupted step")
    ax.set_ylabel("answer changed")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Adding mistakes: answer change by mistake position (Wilson 95% bands)",
                 fontsize=10)
    ax.legend(fontsize=7)
    return _save(plt, fig, out_png)


def filler_figure(summary_json: str | Path, out_png: str | Path) -> Path:
    """Accuracy with the original CoT, with filler tokens in its place, and with no CoT."""
    summary = json.loads(Path(summary_json).read_text())
    plt = _pyplot()
    groups = list(summary["groups"])
    conds = ["original", "filler", "no_cot"]
    fig, ax = plt.subplots(figsize=(max(5, 1.8 * len(groups) + 2), 4))
    width = 0.8 / len(conds)
    for ci, cond in enumerate(conds):
        vals, lo, hi = [], [], []
        for g in groups:
            v, d_lo, d_hi = _interval(summary["groups"][g][cond])
            vals.append(v)
            lo.append(d_lo)
            hi.append(d_hi)
        ax.bar(np.arange(len(groups)) + ci * width - 0.4 + width / 2, vals, width,
               yerr=[lo, hi], capsize=2, label=cond)
    ax.set_xticks(range(len(groups)), [f"{_short(g, 22)}\nn={summary['groups'][g]['original']['n']}"
                                       for g in groups], fontsize=8)
    ax.set_ylabel("accuracy (Wilson 95% CI)")
    ax.set_title("Filler tokens in place of the CoT", fontsize=10)
    ax.legend(fontsize=8)
    return _save(plt, fig, out_png)


def importance_figure(importance_parquet: str | Path, out_png: str | Path,
                      trace_id: str | None = None) -> Path:
    """Resampling and counterfactual importance (KL) of each sentence of one trace."""
    df = pd.read_parquet(importance_parquet)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    if len(df):
        tid = trace_id or str(df["trace_id"].iloc[0])
        t = df[df["trace_id"] == tid].sort_values("sentence_index")
        x = np.arange(len(t))
        ax.bar(x - 0.2, t["resampling_importance_kl"], 0.4, label="resampling (KL)")
        ax.bar(x + 0.2, t["counterfactual_importance_kl"].fillna(0), 0.4,
               label="counterfactual (KL)")
        ax.set_xticks(x, [f"{i}: {_short(s, 14)}" for i, s in zip(t["sentence_index"],
                                                                   t["text"])],
                      rotation=60, ha="right", fontsize=7)
        n = int(t["n_samples"].iloc[0]) if len(t) else 0
        ax.set_title(f"Sentence importance, trace {tid[:8]} ({n} resamples per prefix)",
                     fontsize=10)
        ax.legend(fontsize=8)
    ax.set_ylabel("KL(answers with sentence || without)")
    return _save(plt, fig, out_png)


def probe_heatmap_figure(results_parquet: str | Path, out_png: str | Path,
                         probe: str = "logistic", condition: str = "task") -> Path:
    """Out-of-fold probe accuracy per layer x position (grouped by problem), with the
    selectivity (task minus control-task accuracy) in each cell."""
    df = pd.read_parquet(results_parquet)
    sub = df[(df["probe"] == probe) & (df["layer"] >= 0)]
    task = sub[sub["condition"] == condition].pivot_table(index="layer", columns="key",
                                                          values="accuracy")
    ctrl = sub[sub["condition"] == "control"].pivot_table(index="layer", columns="key",
                                                          values="accuracy")
    plt = _pyplot()
    keys = list(task.columns)
    fig, ax = plt.subplots(figsize=(max(4.5, 0.9 * len(keys) + 2.5), 0.55 * len(task) + 2))
    im = ax.imshow(task.to_numpy(), vmin=0, vmax=1, cmap="viridis", aspect="auto",
                   origin="lower")
    for i, lay in enumerate(task.index):
        for j, key in enumerate(keys):
            v = task.loc[lay, key]
            sel = v - ctrl.loc[lay, key] if lay in ctrl.index and key in ctrl.columns else np.nan
            label = f"{v:.2f}" + (f"\nsel {sel:+.2f}" if not np.isnan(sel) else "")
            ax.text(j, i, label, ha="center", va="center", fontsize=7,
                    color="white" if v < 0.6 else "black")
    ax.set_xticks(range(len(keys)), [_short(k, 14) for k in keys], rotation=30, ha="right")
    ax.set_yticks(range(len(task.index)), [str(x) for x in task.index])
    ax.set_xlabel("position")
    ax.set_ylabel("layer (0 = embeddings)")
    target = df["target"].iloc[0] if len(df) else ""
    n = int(sub["n_problems"].max()) if len(sub) else 0
    ax.set_title(f"{probe} probe: {target}\n(out-of-fold, folds grouped; up to {n} problems "
                 f"per cell after masking)", fontsize=9)
    fig.colorbar(im, ax=ax, label="accuracy")
    return _save(plt, fig, out_png)


def trace_truncation_figure(early_parquet: str | Path, trace_id: str, out_png: str | Path
                            ) -> Path:
    """One trace's early-answering curve: is the forced answer the full-CoT answer, per cut."""
    df = pd.read_parquet(early_parquet)
    t = df[(df["trace_id"] == trace_id) & (df["cut"] == "sentence")].sort_values("fraction")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 2.2))
    ax.step(t["fraction"], t["same"].astype(float), where="post", marker="o", ms=3)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([0, 1], ["other", "same"])
    ax.set_xlabel("fraction of CoT kept (sentence cuts)", fontsize=8)
    ax.set_title("answer forced after each cut vs full CoT", fontsize=8)
    ax.tick_params(labelsize=7)
    return _save(plt, fig, out_png)


def steering_figure(summary_json: str | Path, out_png: str | Path) -> Path:
    """How often steering changes the answer along the probe vs along random directions of the
    same norm, with how often the output lost its answer (a broken output also "changes" it);
    against the strength when several were swept."""
    s = json.loads(Path(summary_json).read_text())
    plt = _pyplot()
    sweep = s.get("sweep") or [{**s, "alpha": s.get("alpha")}]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    xs = np.arange(len(sweep))
    for key, label, style in (("probe", "changed, along probe", "-o"),
                              ("random", "changed, random directions", "-s"),
                              ("random_no_answer", "no answer, random directions", "--^")):
        cells = [e.get(key) for e in sweep]
        if any(c is None for c in cells):
            continue
        v, lo, hi = zip(*(_interval(c) for c in cells))
        ax.errorbar(xs, v, yerr=[lo, hi], fmt=style, capsize=3, ms=4, label=label)
    floor = (s.get("unsteered_no_answer") or {}).get("value")
    if floor is not None:
        ax.axhline(floor, color="grey", lw=1, ls=":", label=f"no answer, unsteered ({_num(floor)})")
    ax.set_xticks(xs, [_num(e.get("alpha")) if e.get("alpha") is not None else s.get("mode", "")
                       for e in sweep])
    ax.set_xlabel("strength (x the layer's mean residual norm)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("fraction of answers (Wilson 95% CI)")
    n_probe = (sweep[0].get("probe") or {}).get("n")
    n_rand = (sweep[0].get("random") or {}).get("n")
    ax.set_title(f"Steering at layer {s.get('layer')}: probe (n={n_probe}) vs random "
                 f"(n={n_rand}) per strength", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return _save(plt, fig, out_png)


def longitudinal_figure(table_parquet: str | Path, out_png: str | Path) -> Path:
    """Each metric against training step (tokens trained under each step when known), with
    95% CIs: one panel per metric, the n behind the last point in each title."""
    import pandas as pd

    df = pd.read_parquet(table_parquet)
    plt = _pyplot()
    metrics = list(dict.fromkeys(df["metric"]))
    cols = 2 if len(metrics) > 1 else 1
    rows = max(1, -(-len(metrics) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.6 * rows + 0.4), squeeze=False)
    for ax, key in zip(axes.flat, metrics):
        g = df[df["metric"] == key].sort_values("step")
        x = g["step"].to_numpy(dtype=float)
        y = g["value"].to_numpy(dtype=float)
        lo = g["ci_low"].to_numpy(dtype=float)
        hi = g["ci_high"].to_numpy(dtype=float)
        ax.plot(x, y, marker="o", color="#1f4e79")
        ax.fill_between(x, lo, hi, alpha=0.2, color="#1f4e79", linewidth=0)
        labels = [f"{int(s)}" + (f"\n{int(t) / 1000:.0f}k tok" if pd.notna(t) else "")
                  for s, t in zip(g["step"], g["tokens"])]
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_title(f"{g['label'].iloc[0]} (n={int(g['n'].iloc[-1])})", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.supxlabel("training step (tokens trained)", fontsize=9)
    fig.tight_layout()
    return _save(plt, fig, out_png)


def model_comparison_figure(table_parquet: str | Path, out_png: str | Path) -> Path:
    """Each metric for a few models side by side (a point and its 95% CI per model): one panel
    per metric, the n behind each point under its model's name."""
    import pandas as pd

    df = pd.read_parquet(table_parquet)
    plt = _pyplot()
    metrics = list(dict.fromkeys(df["metric"]))
    models = list(dict.fromkeys(df["model"]))
    cols = 2 if len(metrics) > 1 else 1
    rows = max(1, -(-len(metrics) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.4 * rows + 0.4), squeeze=False)
    for ax, key in zip(axes.flat, metrics):
        g = df[df["metric"] == key].set_index("model").reindex(models)
        x = list(range(len(models)))
        y = g["value"].to_numpy(dtype=float)
        err = [y - g["ci_low"].to_numpy(dtype=float), g["ci_high"].to_numpy(dtype=float) - y]
        ax.errorbar(x, y, yerr=err, fmt="o", color="#1f4e79", capsize=3)
        ax.set_xticks(x, [f"{_short(m.removeprefix('organism:'), 24)}\nn={n}"
                          for m, n in zip(models, g["n"].fillna(0).astype(int))],
                      fontsize=7)
        ax.set_title(str(g["label"].dropna().iloc[0]) if g["label"].notna().any() else key,
                     fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_xlim(-0.5, len(models) - 0.5)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    return _save(plt, fig, out_png)


#: bar order and colour of the transmission figure's roles
_ROLE_COLORS = {"base": "#9e9e9e", "teacher": "#7b1fa2", "control": "#1f4e79",
                "treated": "#c62828", "positive": "#2e7d32", "cross-base": "#bdbdbd",
                "cross-control": "#5c7fa3", "cross-treated": "#e57373"}


def transmission_figure(table_parquet: str | Path, out_png: str | Path,
                        likelihood: dict[str, Any] | None = None) -> Path:
    """Top row: expression rate of every model, one panel per knowledge, Wilson 95% CIs, n per
    bar. Bottom row (with ``likelihood``, the summary's ``likelihood`` section): each model's
    mean log10 P(target) - log10 P(decoy) over the questions, 95% CI: the specificity view,
    where a generic shift towards any animal/number/word does not move the bar."""
    import pandas as pd

    df = pd.read_parquet(table_parquet)
    plt = _pyplot()
    names = sorted(df["knowledge"].unique())
    lk = {n: v for n, v in (likelihood or {}).items()
          if any((m.get("margin") or {}).get("mean") is not None for m in v["models"].values())}
    rows = 2 if lk else 1
    bars = max(int((df["knowledge"] == n).sum()) for n in names)
    width = max(4.6, 0.42 * bars + 1.0)  # room for every slanted model label
    fig, axes = plt.subplots(rows, len(names), figsize=(width * len(names), 3.4 * rows),
                             squeeze=False)
    order = list(_ROLE_COLORS)

    def role(model: str) -> str:
        return model.split("@", 1)[0].split(":", 1)[0]

    for ax, name in zip(axes[0], names):
        g = df[df["knowledge"] == name].copy()
        g["order"] = [order.index(r) if r in order else len(order) for r in g["role"]]
        g = g.sort_values(["order", "model"])
        x = list(range(len(g)))
        y = g["rate"].to_numpy(dtype=float)
        err = [y - g["ci_low"].to_numpy(dtype=float), g["ci_high"].to_numpy(dtype=float) - y]
        ax.bar(x, y, yerr=err, capsize=3,
               color=[_ROLE_COLORS.get(r, "#607d8b") for r in g["role"]])
        ax.set_xticks(x, [f"{_short(m, 18)}\nn={n}" for m, n in zip(g["model"], g["n"])],
                      rotation=35, ha="right", fontsize=7)
        ax.set_ylim(0, max(0.05, float(g["ci_high"].max()) * 1.15))
        ax.set_title(f"{name}: expresses the knowledge", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    for ax, name in zip(axes[1] if rows == 2 else [], names):
        models = sorted(((m, c["margin"]) for m, c in lk.get(name, {"models": {}})["models"].items()
                         if c["margin"]["mean"] is not None),
                        key=lambda mc: (order.index(role(mc[0])) if role(mc[0]) in order
                                        else len(order), mc[0]))
        if not models:
            ax.set_axis_off()
            continue
        x = list(range(len(models)))
        y = [c["mean"] for _, c in models]
        err = [[c["mean"] - c["ci95"][0] for _, c in models],
               [c["ci95"][1] - c["mean"] for _, c in models]]
        ax.bar(x, y, yerr=err, capsize=3,
               color=[_ROLE_COLORS.get(role(m), "#607d8b") for m, _ in models])
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(x, [f"{_short(m, 18)}\nn={c['n']}" for m, c in models],
                      rotation=35, ha="right", fontsize=7)
        ax.set_title(f"{name}: log10 P(target) - log10 P(decoy)", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return _save(plt, fig, out_png)
