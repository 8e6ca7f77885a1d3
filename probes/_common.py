"""Shared plumbing of the probe scripts: traces of an organism on chains of chosen lengths into
a store under OUT, activations of the model (and of a random-init copy), probes with every
baseline, and the results written as tidy tables, a summary and heatmaps."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from thinkscope.activations import ActivationSet, extract_activations
from thinkscope.analyze.errors import parse_chain_question
from thinkscope.generate import Sampling, builder_for, get_backend, load_corpus, run_generation
from thinkscope.probing import get_target, save_best_probes, train_probes, write_probe_results
from thinkscope.traces import Trace, TraceStore


def chain_k(question: str) -> int | None:
    p = parse_chain_question(question)
    return p.k if p else None


def organism_traces(model: str, out: Path, ks: Iterable[int], n: int, samples: int = 1,
                    temperature: float = 0.0, device: str | None = None) -> list[Trace]:
    """Traces of ``model`` on the first ``n`` corpus chains of each length in ``ks`` (resumes)."""
    ks = set(ks)
    counts: dict[int, int] = {}
    items = []
    for it in load_corpus("modarith"):
        k = chain_k(it.question)
        if k in ks and counts.get(k, 0) < n:
            counts[k] = counts.get(k, 0) + 1
            items.append(it)
    store = TraceStore(out / "store", create=True)
    be = get_backend("hf", model, device=device, batch_size=128)
    builder = builder_for(model, be.tokenizer)  # type: ignore[attr-defined]
    run_generation(be, builder, items, store, "modarith", samples=samples,
                   sampling=Sampling(temperature=temperature, max_tokens=160), progress=True)
    return [t for t in store.iter_traces(model=[model]) if chain_k(t.prompt.messages[-1].content)
            in ks]


def activations(model: str, traces: list[Trace], out: Path, positions: str,
                layers: str = "all", random_init: int | None = None,
                device: str | None = None) -> ActivationSet:
    from thinkscope.models import load_model

    lm = load_model(model, device=device)
    return extract_activations(lm.model, lm.tokenizer, traces, out, layers=layers,
                               positions=positions, model_ref=model, random_init=random_init,
                               store=str(out.parent / "store"))


def probe(acts: ActivationSet, traces: list[Trace], target: str, out: Path,
          random_acts: ActivationSet | None = None, keys: list[str] | None = None,
          probes: tuple[str, ...] = ("logistic", "mass_mean"),
          group_by: str = "problem") -> dict[str, Any]:
    """Train, write and print one target's probes; returns the summary."""
    tgt = get_target(target)
    res = train_probes(acts, traces, tgt, probes, keys=keys, random_acts=random_acts,
                       group_by=group_by)
    summary = write_probe_results(res, out, {"target": target, "model": acts.manifest.model,
                                             "n_traces": len(traces), "group_by": group_by})
    save_best_probes(acts, traces, tgt, res, out)
    for name, per_key in summary["probes"].items():
        for key, e in per_key.items():
            t, c = e["task"], e["control"] or {}
            r = (e.get("random_init") or {}).get("accuracy")
            print(f"{target:15s} {name:9s} {key:12s} L{e['best_layer']}: {t['accuracy']:.3f} "
                  f"[{t['ci95'][0]:.3f}, {t['ci95'][1]:.3f}] n={t['n']} | control "
                  f"{c.get('accuracy', float('nan')):.3f} sel {e['selectivity'] or 0:+.3f} | "
                  f"random-init {r if r is None else round(r, 3)} | majority "
                  f"{(e.get('majority') or {}).get('accuracy', float('nan')):.3f}")
    return summary


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str))
