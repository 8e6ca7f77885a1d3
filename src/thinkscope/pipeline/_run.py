"""``thinkscope run``: generate -> behaviours and step errors -> faithfulness -> importance ->
probes -> report, each step writing its own folder under OUT and skipping itself when its
outputs are already there (a killed run resumes)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from ..outputs import atomic_outputs, plan_hash
from ..traces import Trace, TraceStore
from ._plan import Plan, TraceSet

DONE = ".done"
#: the built-in steps, in order; a registered analysis may not take one of these names
STEPS = ("generate", "behaviors", "errors", "early", "mistakes", "filler", "importance")


class Pipeline:
    """Runs a :class:`Plan` under ``out``; backends are loaded once per model."""

    def __init__(self, plan: Plan, out: str | Path, device: str | None = None,
                 progress: bool = True, log: Callable[[str], None] = print,
                 store: TraceStore | None = None) -> None:
        self.plan = plan
        self.out = Path(out)
        self.device = device
        self.progress = progress
        self.log = log
        self.store = store if store is not None else TraceStore(self.out / "store", create=True)
        self._backends: dict[tuple[str, str], Any] = {}
        self.timings: dict[str, float] = {}

    # -- helpers -----------------------------------------------------------------------------
    def backend(self, model: str, name: str | None = None) -> Any:
        """The plan's backend for ``model`` (``name``: another one), loaded once."""
        name = name or self.plan.backend
        if (name, model) not in self._backends:
            from ..generate import get_backend

            self._backends[(name, model)] = get_backend(
                name, model, device=self.device, batch_size=64, base_url=self.plan.base_url)
        return self._backends[(name, model)]

    def hf_backend(self, model: str) -> Any:
        """transformers for ``model``: activations, probes and steering need its internals."""
        return self.backend(model, "hf")

    def builder(self, model: str) -> Any:
        from ..generate import builder_for

        return builder_for(model, getattr(self.backend(model), "tokenizer", None))

    def _resample_cap(self, model: str) -> int:
        """Tokens a resampled or steered continuation may write (the rest of a chain)."""
        from ..analyze.faithfulness import resample_tokens

        return resample_tokens(model, self.builder(model))

    def traces(self, model: str, with_reasoning: bool = False) -> list[Trace]:
        out = [t for t in self.store.iter_traces(model=[model]) if t.perturbation is None]
        return [t for t in out if t.reasoning.strip()] if with_reasoning else out

    def plan_hash(self) -> str:
        """What the steps will do: a changed plan (another model, corpus, sample count) must
        redo them, not reuse the last run's outputs."""
        from dataclasses import asdict, is_dataclass

        plan = asdict(self.plan) if is_dataclass(self.plan) else vars(self.plan)
        return plan_hash(plan)

    def _inputs(self) -> dict[str, Any]:
        """What a step's outputs came from, for their manifest."""
        return {"store": self.store.state_id(), "plan": self.plan_hash()}

    def _step(self, name: str, fn: Callable[[Path], None], extra: Any = None) -> None:
        """Run step ``name`` into ``OUT/name`` unless it is done under the same plan (and the
        same ``extra``: a registered analysis' own parameters)."""
        dest = self.out / name
        want = self.plan_hash() if extra is None else plan_hash([self.plan_hash(), extra])
        if (dest / DONE).exists():
            try:
                done = json.loads((dest / DONE).read_text())
            except (OSError, ValueError):
                done = {}
            if done.get("plan") == want:
                self.log(f"[{name}] already done (delete {dest} to redo)")
                return
            self.log(f"[{name}] the plan changed since it was done: redoing it")
            shutil.rmtree(dest)  # derived outputs of another plan: never mix them with new ones
        dest.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        self.log(f"[{name}] ...")
        fn(dest)
        self.timings[name] = round(time.perf_counter() - t0, 1)
        tmp = dest / f"{DONE}.tmp"
        tmp.write_text(json.dumps({"seconds": self.timings[name], "plan": want}))
        tmp.replace(dest / DONE)

    # -- steps -------------------------------------------------------------------------------
    def _items(self, ts: TraceSet) -> list[Any]:
        from ..analyze.errors import parse_chain_question
        from ..generate import load_corpus

        items = load_corpus(self.plan.corpus)
        if ts.hint:
            from ..analyze.faithfulness import hinted_items

            items = hinted_items(items, ts.hint)
        if not ts.ks:
            return items[: ts.n]
        counts: dict[int, int] = {}
        chosen = []
        per_k = max(1, -(-ts.n // len(ts.ks)))
        for it in items:
            p = parse_chain_question(it.question)
            if p is not None and p.k in ts.ks and counts.get(p.k, 0) < per_k:
                counts[p.k] = counts.get(p.k, 0) + 1
                chosen.append(it)
        return chosen[: ts.n]

    def generate(self, dest: Path) -> None:
        from ..generate import Sampling, default_max_tokens, run_generation
        from ..traces.io import guess_model_kind

        for ts in self.plan.traces:
            be = self.backend(ts.model)
            builder = self.builder(ts.model)
            cap = ts.max_tokens or default_max_tokens(ts.model, builder)
            summary = run_generation(
                be, builder, self._items(ts), self.store, self.plan.corpus,
                samples=ts.samples, sampling=Sampling(temperature=ts.temperature,
                                                      max_tokens=cap),
                model_kind=guess_model_kind(ts.model), progress=self.progress)
            self.log(f"  {ts.model}: {summary.written} written, {summary.already_stored} "
                     f"already stored")

    def _analysis(self, name: str, traces: list[Trace], dest: Path,
                  params: dict[str, Any] | None = None) -> None:
        """Registered analysis ``name`` on ``traces`` into ``dest`` (nothing when there are no
        traces)."""
        from ..analyze import ANALYSES, AnalysisContext, run_analysis

        if not traces:
            self.log(f"  {name}: no traces")
            return
        ctx = AnalysisContext(progress=self.progress, log=self.log)
        if ANALYSES.lookup(name).needs_model:
            ctx.backend, ctx.builder = self.backend, self.builder
        summary = run_analysis(name, traces, dest, params, ctx, self._inputs())
        if summary.get("skipped"):
            self.log(f"  skipped: {summary['skipped']}")

    def behaviors(self, dest: Path) -> None:
        traces = [t for t in self.store.iter_traces() if t.perturbation is None]
        self._analysis("behaviors", traces, dest, {"detector": "keyword", "segments": "auto"})

    def errors(self, dest: Path) -> None:
        traces = [t for t in self.store.iter_traces() if t.perturbation is None]
        self._analysis("errors", traces, dest, {"segments": "auto"})

    def _faith(self, name: str, models: tuple[str, ...], dest: Path,
               limit: int | None = None) -> None:
        """A faithfulness analysis on each model's first ``limit`` (else ``faith_limit``)
        traces with a CoT (organism chains of at least ``faith_min_k`` steps where the plan
        says so)."""
        chosen: list[Trace] = []
        for m in models:
            traces = self.traces(m, with_reasoning=True)
            if self.plan.faith_min_k is not None:
                traces = [t for t in traces if (k := self._k(t)) is None
                          or k >= self.plan.faith_min_k]
            chosen += traces[: self.plan.faith_limit if limit is None else limit]
        self._analysis(name, chosen, dest)

    @staticmethod
    def _k(trace: Trace) -> int | None:
        from ..analyze.errors import parse_chain_question
        from ..traces import question_of

        p = parse_chain_question(question_of(trace))
        return p.k if p else None

    def early(self, dest: Path) -> None:
        self._faith("early", self.plan.early, dest)

    def mistakes(self, dest: Path) -> None:
        self._faith("mistakes", self.plan.mistakes, dest, self.plan.mistake_traces)

    def filler(self, dest: Path) -> None:
        self._faith("filler", self.plan.filler, dest)

    def importance(self, dest: Path) -> None:
        """Resampling importance of the traces of median CoT length (a short CoT has too few
        sentences to rank, a long one costs the most)."""
        chosen: list[Trace] = []
        for m in self.plan.importance:
            traces = sorted(self.traces(m, with_reasoning=True), key=lambda t: len(t.reasoning))
            mid = len(traces) // 2
            chosen += traces[mid: mid + self.plan.importance_traces]
        self._analysis("importance", chosen, dest, {"samples": self.plan.importance_samples})

    def probes(self, dest: Path) -> None:
        from ..activations import extract_activations, n_layers
        from ..analyze.errors import parse_chain_question
        from ..probing import get_target, save_best_probes, train_probes, write_probe_results
        from ..traces import question_of

        # probes of one model's traces at the same positions read the same activations:
        # extracted (with their random-init copy) once
        extracted: dict[tuple[str, str, int | None], tuple[Any, Any]] = {}
        for i, spec in enumerate(self.plan.probes):
            model, target = spec.model, spec.target
            traces = self.traces(model)
            if spec.k is not None:
                traces = [t for t in traces
                          if (p := parse_chain_question(question_of(t))) and p.k == spec.k]
            if len(traces) < 20:
                self.log(f"  {model}: {len(traces)} traces, too few to probe {target}")
                continue
            be = self.hf_backend(model)
            name = f"{i}-{target}"
            depth = n_layers(be.model)
            # deep models: about eight evenly spaced layers keep the sweep affordable
            layers = "all" if depth <= 8 else list(range(0, depth + 1, -(-depth // 8)))
            kw = dict(layers=layers, positions=spec.positions, builder=self.builder(model),
                      model_ref=model, store=str(self.store.root), progress=self.progress)
            same = (model, spec.positions, spec.k)
            if same not in extracted:
                extracted[same] = (
                    extract_activations(be.model, be.tokenizer, traces, dest / name / "acts",
                                        **kw),
                    extract_activations(be.model, be.tokenizer, traces,
                                        dest / name / "acts-random-init", random_init=0, **kw))
            acts, rand = extracted[same]
            tgt = get_target(target)
            try:
                res = train_probes(acts, traces, tgt, ("logistic", "mass_mean"), keys=spec.keys,
                                   random_acts=rand, progress=self.progress,
                                   group_by=spec.group_by)
            except ValueError as exc:  # e.g. one class only: every answer wrong
                self.log(f"  {model}: {target} not probed: {exc}")
                # (its folder may hold no activations: they can be another probe's)
                (dest / name).mkdir(parents=True, exist_ok=True)
                (dest / name / "skipped.txt").write_text(f"{exc}\n")
                continue
            write_probe_results(res, dest / name, {"target": target, "model": model,
                                                   "n_traces": len(traces),
                                                   "group_by": spec.group_by,
                                                   **self._inputs()})
            saved = save_best_probes(acts, traces, tgt, res, dest / name)
            if self.plan.steer and spec.steer:
                self._steer(model, traces, saved, dest / name, acts)

    def _steer(self, model: str, traces: list[Trace], saved: list[Path], dest: Path,
               acts: Any) -> None:
        """Steer towards the rarest class of the best mass-mean probe (most answers must move
        to reach it), against random directions of the same norm."""
        import numpy as np

        from ..probing import get_target, load_probe, probe_rows, steer

        path = next((p for p in saved if p.name.startswith("mass_mean")), saved[0])
        probe = load_probe(path)
        info = json.loads(path.with_suffix(".json").read_text())["extra"]
        be = self.hf_backend(model)
        dirs = np.asarray(probe.directions_)
        classes = [str(c) for c in probe.classes_]
        target = str(info["target"])
        rows = probe_rows(acts, {t.trace_id: t for t in traces}, get_target(target),
                          [info["key"]], min_rows=1)
        labels = [str(x) for x in rows["label"]]
        towards = min(classes, key=lambda c: labels.count(c))
        direction = dirs[0] if dirs.shape[0] == 1 else dirs[classes.index(towards)]
        # organisms answer within 64 tokens; a real model writes its reasoning first
        new_tokens = (self.plan.steer_tokens if self.plan.steer_tokens is not None
                      else 64 if model.startswith("organism:") else self._resample_cap(model))
        table, summary = steer(be.model, be.tokenizer, traces[: self.plan.steer_traces],
                               direction, int(info["layer"]), alpha=self.plan.steer_alphas,
                               n_random=self.plan.steer_random,
                               max_new_tokens=new_tokens,
                               builder=self.builder(model),
                               target_answer=towards if target == "final_answer" else None,
                               progress=self.progress)
        summary.update(probe_file=str(path.name), key=info["key"], towards_class=towards,
                       target=target)
        with atomic_outputs(dest, "steer", {"probe_file": path.name, "layer": info["layer"],
                                            "alphas": list(self.plan.steer_alphas),
                                            "store": self.store.state_id()}) as d:
            table.to_parquet(d / "steer.parquet", index=False)
            (d / "steer_summary.json").write_text(json.dumps(summary, indent=1))

    # -- registered analyses -----------------------------------------------------------------
    def registered_steps(self) -> list[Any]:
        """The registered analyses this plan runs, as ``AnalysisStep``s."""
        from ..analyze import ANALYSES
        from ._plan import AnalysisStep

        if self.plan.analyses is not None:
            steps = list(self.plan.analyses)
            for step in steps:
                ANALYSES.lookup(step.name)  # an unknown name fails before any work
        else:
            steps = [AnalysisStep(name) for name, a in ANALYSES.items() if a.in_run]
        clash = [s.name for s in steps if s.name in (*STEPS, "probes", "store")]
        if clash:
            raise ValueError(f"registered analysis {clash[0]!r} has the name of a built-in step")
        return steps

    def _registered(self, step: Any, dest: Path) -> None:
        from ..analyze import ANALYSES, AnalysisContext, run_analysis

        analysis = ANALYSES.lookup(step.name)
        models = step.models or (self.plan.early if analysis.needs_model else ())
        traces = [t for t in self.store.iter_traces(model=list(models) or None)
                  if t.perturbation is None]
        ctx = AnalysisContext(progress=self.progress, log=self.log)
        if analysis.needs_model:
            ctx.backend, ctx.builder = self.backend, self.builder
            ctx.helper = self.backend(self.plan.helper) if self.plan.helper else None
        summary = run_analysis(step.name, traces, dest, dict(step.params), ctx,
                               self._inputs())
        if summary.get("skipped"):
            self.log(f"  skipped: {summary['skipped']}")

    # -- all ---------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from ..report import build_report

        t0 = time.perf_counter()
        for name in STEPS:
            self._step(name, getattr(self, name))
        for step in self.registered_steps():
            self._step(step.name, partial(self._registered, step),
                       extra=[step.models, step.params])
        self._step("probes", self.probes)
        page = build_report(self.out)
        total = round(time.perf_counter() - t0, 1)
        self.log(f"report: {page}")
        return {"seconds": total, "steps": self.timings, "report": str(page)}
