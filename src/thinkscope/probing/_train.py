"""Probes per layer x position over an activation set, with every baseline beside them.

For each (layer, position key) the chosen probes are scored out-of-fold on problem-grouped
folds against: the control task and selectivity (Hewitt & Liang 2019), shuffled labels, the
majority class, layer 0 (the embeddings), a random-init model of the same architecture (when its
activations are given) and a text-only classifier; positions where the text already states the
target are masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..activations import ActivationSet
from ..progress import progress_bar
from ..traces import Trace
from ._evaluate import control_labels, convergence_summary, evaluate_probe
from ._probes import make_probe
from ._targets import Target, target_table
from ._text import text_baseline, visible_text

DEFAULT_CONDITIONS = ("task", "control", "shuffled", "majority")


#: Cross-validation groups: ``train_probes(group_by=...)`` -> column of the probe table.
GROUP_BY = {"problem": "problem_id", "input": "control_key"}


def probe_rows(acts: ActivationSet, traces: dict[str, Trace], target: Target,
               keys: Iterable[str] | None = None, mask: bool = True, min_rows: int = 40,
               ) -> Any:
    """The labelled metadata rows to probe: target labels joined, masked rows dropped, keys
    with too few rows or one class dropped, in a canonical order (by trace, rule, key, position)
    so that nothing downstream — the shuffled-label permutation, fold assignment — depends on
    the order extraction happened to write the rows in (length-sorted batches)."""
    meta = acts.meta.sort_values(["trace_id", "rule", "key", "position"], kind="stable")
    table = target_table(target, traces, meta)
    if mask:
        table = table[~table["masked"]]
    if keys is not None:
        table = table[table["key"].isin(list(keys))]
    counts = table.groupby("key")["label"].agg(["size", "nunique"])
    ok = counts[(counts["size"] >= min_rows) & (counts["nunique"] >= 2)].index
    return table[table["key"].isin(ok)].reset_index(drop=True)


@convergence_summary()  # one line for the logistic fits that hit their iteration limit
def train_probes(
    acts: ActivationSet,
    traces: Sequence[Trace] | dict[str, Trace],
    target: Target,
    probes: Sequence[str] = ("logistic", "mass_mean"),
    layers: Iterable[int] | None = None,
    keys: Iterable[str] | None = None,
    random_acts: ActivationSet | None = None,
    text_only: bool = True,
    mask: bool = True,
    n_splits: int = 5,
    min_rows: int = 40,
    seed: int = 0,
    probe_params: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
    group_by: str = "problem",
    control_draws: int = 3,
) -> Any:
    """Tidy results: one row per (layer, key, probe, condition) with accuracy, AUROC, their
    95% CIs over problems, n rows and n problems.

    ``group_by`` picks the cross-validation groups: ``problem`` (never split a problem's rows)
    or ``input`` (the target's input key, e.g. the step's operands for ``intermediate_N``): no
    held-out row shares its inputs with a training row, so a probe cannot score by memorising
    an input-to-label table — which random features of the inputs can do for a small table
    (random-init baselines above chance) — and must read a value the model represents the same
    way whatever produced it.

    The control task is drawn ``control_draws`` times (seeds ``seed``, ``seed + 1``, ...) and its
    accuracy averaged: one draw swings by several points when there are few distinct keys.
    """
    import pandas as pd

    if group_by not in GROUP_BY:
        raise ValueError(f"unknown group_by {group_by!r}; valid: {', '.join(GROUP_BY)}")
    group_col = GROUP_BY[group_by]
    by_id = traces if isinstance(traces, dict) else {t.trace_id: t for t in traces}
    table = probe_rows(acts, by_id, target, keys, mask, min_rows)
    if table.empty:
        raise ValueError(f"no rows to probe for target {target.name!r} (no labels, all masked, "
                         f"or fewer than {min_rows} rows per position)")
    layer_list = list(layers) if layers is not None else acts.layers
    rand_meta = None
    if random_acts is not None:
        rand_meta = random_acts.meta.set_index(["trace_id", "rule", "key"])["row"]
    params = probe_params or {}
    out: list[dict[str, Any]] = []
    units = [(lay, key) for lay in layer_list for key in sorted(table["key"].unique())]
    bar = progress_bar(units, desc=f"probe {target.name}", disable=not progress)
    arrays: dict[int, np.ndarray] = {}
    rarrays: dict[int, np.ndarray] = {}
    for lay, key in bar:
        rows = table[table["key"] == key]
        y = rows["label"].to_numpy()
        groups = rows[group_col].to_numpy()
        ckeys = rows["control_key"].tolist()
        control = [control_labels(ckeys, y, seed + i) for i in range(control_draws)]
        if lay not in arrays:
            arrays[lay] = acts.array(lay)
        X = arrays[lay][rows["row"].to_numpy()]
        base = dict(layer=lay, key=key, target=target.name, n_classes=int(len(np.unique(y))))
        for name in probes:
            probe = make_probe(name, **params.get(name, {}))
            conds = DEFAULT_CONDITIONS if name == probes[0] else ("task", "control")
            for r in evaluate_probe(probe, X, y, groups, control, n_splits, seed, conds):
                out.append({**base, "probe": name if r["condition"] != "majority" else "-", **r})
            if rand_meta is not None:
                idx = rand_meta.reindex(list(zip(rows["trace_id"], rows["rule"], rows["key"])))
                if idx.notna().all():
                    if lay not in rarrays:
                        rarrays[lay] = random_acts.array(lay)  # type: ignore[union-attr]
                    Xr = rarrays[lay][idx.to_numpy().astype(int)]
                    for r in evaluate_probe(probe, Xr, y, groups, control, n_splits, seed,
                                            ("task", "control")):
                        cond = "random_init" if r["condition"] == "task" else "random_init_control"
                        out.append({**base, "probe": name, **r, "condition": cond})
    if text_only:
        for key in sorted(table["key"].unique()):
            rows = table[table["key"] == key]
            texts = [visible_text(by_id[t], reg, int(c)) for t, reg, c in
                     zip(rows["trace_id"], rows["region"], rows["char_end"])]
            r = text_baseline(texts, rows["label"].to_numpy(), rows[group_col].to_numpy(),
                              n_splits, seed)
            out.append(dict(layer=-1, key=key, target=target.name, probe="text",
                            n_classes=int(rows["label"].nunique()), **r))
    return pd.DataFrame(out)


def summarize_probes(results: Any) -> dict[str, Any]:
    """Per probe and position: the best layer by task accuracy, with its baselines beside it
    (control and selectivity, shuffled, majority, layer 0, random init, text only)."""
    res = results
    out: dict[str, Any] = {}

    def cell(df: Any) -> dict[str, Any] | None:
        if df.empty:
            return None
        r = df.iloc[0]
        return {"accuracy": round(float(r["accuracy"]), 4),
                "ci95": [round(float(r["accuracy_lo"]), 4), round(float(r["accuracy_hi"]), 4)],
                "n": int(r["n_rows"]), "n_problems": int(r["n_problems"])}

    for (probe, key), df in res[res["condition"] == "task"].groupby(["probe", "key"]):
        best = df.sort_values(["accuracy", "layer"], ascending=[False, True]).iloc[0]
        lay = int(best["layer"])
        at = res[(res["key"] == key) & (res["layer"] == lay)]
        same = at[at["probe"] == probe]
        ctrl = cell(same[same["condition"] == "control"])
        task = cell(same[same["condition"] == "task"])
        entry = {
            "best_layer": lay, "task": task, "control": ctrl,
            "selectivity": round(task["accuracy"] - ctrl["accuracy"], 4) if task and ctrl
            else None,
            "shuffled": cell(at[at["condition"] == "shuffled"]),
            "majority": cell(at[at["condition"] == "majority"]),
            "layer0": cell(res[(res["key"] == key) & (res["layer"] == 0) &
                               (res["probe"] == probe) & (res["condition"] == "task")]),
            "random_init": cell(same[same["condition"] == "random_init"]),
            "random_init_control": cell(same[same["condition"] == "random_init_control"]),
            "text_only": cell(res[(res["key"] == key) & (res["condition"] == "text_only")]),
        }
        out.setdefault(probe, {})[key] = entry
    return out
