"""What ``thinkscope run`` does, as data: which models write traces for which analysis, and
how many. The default plan runs on the shipped organisms on 2 CPU cores; ``real_plan`` runs the
same analyses on one real model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TraceSet:
    """Traces of one model: ``n`` problems with chain length in ``ks`` (organisms) or the
    first ``n`` corpus items (real models), ``samples`` each at ``temperature``; with ``hint``
    (a hint kind), every question carries a hint naming a wrong answer."""

    model: str
    n: int
    ks: tuple[int, ...] = ()
    samples: int = 1
    temperature: float = 0.0
    #: completion cap; ``None``: what the model's prompt style needs (``default_max_tokens``)
    max_tokens: int | None = 160
    hint: str | None = None


@dataclass(frozen=True)
class ProbeSpec:
    """One probe sweep: ``target`` on ``model``'s traces (chain length ``k`` only, when given)
    at the positions of ``positions`` (``keys``: a subset of their keys), folds grouped by
    ``group_by`` (see ``train_probes``)."""

    model: str
    target: str
    positions: str
    keys: tuple[str, ...] | None = None
    k: int | None = None
    group_by: str = "problem"
    #: steer along the best probe's direction against random ones (``Plan.steer`` must be on)
    steer: bool = True


@dataclass(frozen=True)
class AnalysisStep:
    """A registered analysis (``thinkscope.analyze.ANALYSES``) as a step: on the traces of
    ``models`` (empty: the faithfulness models for model-facing analyses, every model for text
    analyses) with ``params`` (validated by the analysis' parameter model)."""

    name: str
    models: tuple[str, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Plan:
    """Every step's inputs. Model lists name ``TraceSet.model`` values."""

    corpus: str
    traces: tuple[TraceSet, ...]
    #: models compared on behaviours and step errors (all traces)
    early: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()
    filler: tuple[str, ...] = ()
    importance: tuple[str, ...] = ()
    importance_traces: int = 3
    importance_samples: int = 6
    #: traces corrupted per model (every arithmetic step of each); None: ``faith_limit``
    mistake_traces: int | None = None
    probes: tuple[ProbeSpec, ...] = ()
    steer: bool = True
    #: traces steered per probe (each is generated again along 1 + 8 directions)
    steer_traces: int = 200
    #: steering strengths in units of the layer's residual norm; several: a sweep, the report
    #: headlines the strongest that leaves random-direction outputs intact (``steer``)
    steer_alphas: tuple[float, ...] = (1.0,)
    #: random directions of the same norm per strength (the control)
    steer_random: int = 8
    #: tokens a steered continuation may write; None: the resampling cap (``resample_tokens``)
    steer_tokens: int | None = None
    faith_limit: int = 60
    #: registered analyses to run; None: every one registered with ``in_run`` (plugins too)
    analyses: tuple[AnalysisStep, ...] | None = None
    #: generation and faithfulness backend: hf, vllm or openai (activations, probes and steering
    #: always run on transformers: they read and edit hidden states)
    backend: str = "hf"
    #: the server of the openai backend
    base_url: str | None = None
    #: a judge / rewriter model for analyses that use one (paraphrase; hint verbalisation);
    #: None: those steps say in the report that they were skipped and why
    helper: str | None = None
    #: faithfulness on organism chains of at least this length (long chains need their CoT)
    faith_min_k: int | None = None


def organism_plan(scale: float = 1.0) -> Plan:
    """The embedded default: SFT vs RL organisms (the seed hypothesis), the causal / decorative
    / hint-following / filler organisms for faithfulness, the latent organisms for probes."""

    def n(x: int) -> int:
        return max(8, int(x * scale))

    long = (4, 5, 6)
    return Plan(
        corpus="modarith",
        traces=(
            TraceSet("organism:sft-coldstart", n(100), (2, 3, 4, 5, 6), 2, 1.0),
            TraceSet("organism:rl-outcome", n(100), (2, 3, 4, 5, 6), 2, 1.0),
            TraceSet("organism:sft-clean", n(60), long),
            TraceSet("organism:sft-clean", n(360), (2,)),
            TraceSet("organism:sft-posthoc", n(60), long),
            # every question behind a metadata hint naming a wrong answer
            TraceSet("organism:sft-hinted", n(60), long, hint="metadata"),
            TraceSet("organism:filler", n(60), long),
            TraceSet("organism:latent", n(360), (2,)),
            TraceSet("organism:latent-stepwise", n(360), (2,)),
        ),
        early=("organism:sft-clean", "organism:sft-posthoc", "organism:sft-hinted",
               "organism:filler"),
        mistakes=("organism:sft-clean", "organism:sft-posthoc", "organism:sft-hinted"),
        filler=("organism:sft-clean", "organism:filler"),
        importance=("organism:rl-outcome",),
        # the value after step 1 of two-step chains: at sft-clean's "=" before it writes it
        # (cot3) and two tokens earlier (cot1); in latent-stepwise (never writes it) at the
        # comma after step 1 (prompt-17), the question's end (prompt-5), the last prompt token
        # and the answer position, folds grouped by the step's inputs
        probes=(ProbeSpec("organism:sft-clean", "intermediate_1", "cot", ("cot1", "cot3"), 2),
                ProbeSpec("organism:latent-stepwise", "intermediate_1", "prompt,answer",
                          ("prompt-17", "prompt-5", "prompt-0", "answer"), 2, "input"),
                # the latent organism's own answer at its answer position: the steering check
                ProbeSpec("organism:latent", "final_answer", "answer", ("answer",), 2)),
        faith_limit=n(60),
        faith_min_k=4,
        # the hint-follower against the clean organism on the same problems, hints stripped
        # from its stored questions (few-shot is not among the hints it was trained on);
        # paraphrase needs a rewriter (``helper``), which no organism is: the report says so
        analyses=(AnalysisStep("hints", ("organism:sft-clean", "organism:sft-hinted"),
                               (("problems", n(40)), ("kinds", ("sycophancy", "metadata")))),
                  AnalysisStep("paraphrase")),
    )


def real_plan(model: str, corpus: str, limit: int, samples: int = 1,
              temperature: float = 0.6, max_tokens: int | None = None) -> Plan:
    """One real model on ``limit`` items of ``corpus``: every analysis, probes of the answer
    before the CoT (its size in digits: a GSM8K answer has one class per number) and of
    eventual correctness."""
    sentences = tuple(f"sent{i}" for i in range(0, 20, 5))
    return Plan(
        corpus=corpus,
        traces=(TraceSet(model, limit, (), samples, temperature, max_tokens),),
        early=(model,), mistakes=(model,), filler=(model,), importance=(model,),
        importance_traces=min(3, limit), importance_samples=5,
        # a 135M model's output already breaks at the organisms' alpha 1 (probe and random
        # alike): sweep weaker pushes on fewer traces, at about the cost of one strength
        # (8 traces x 4 strengths x 5 directions, each continuation up to 256 tokens: a 135M
        # model's GSM8K CoT averages about 200)
        steer_traces=min(8, limit), steer_alphas=(0.02, 0.05, 0.1, 0.25), steer_random=4,
        steer_tokens=256,
        # every arithmetic step of a trace is corrupted, each read twice: 48 traces give
        # about a hundred corruptions
        mistake_traces=min(48, limit),
        probes=(ProbeSpec(model, "answer_digits", "last_prompt,sentence_ends",
                          ("last_prompt", *sentences)),
                # eventual correctness: read, not steered (pushing a model towards "right" has
                # no direction to test against a random one)
                # (the same positions as above: one extraction serves both probes)
                ProbeSpec(model, "correct", "last_prompt,sentence_ends", sentences,
                          steer=False)),
        faith_limit=limit,
        # an instruct model can rewrite text: it paraphrases its own CoTs (copies are flagged)
        # (hints: every problem is sampled 2 + 3 x 2 times at up to 256 tokens, so few problems)
        analyses=(AnalysisStep("hints", params=(("problems", min(10, limit)), ("samples", 3),
                                                ("kinds", ("sycophancy", "metadata")),
                                                ("max_tokens", 256))),
                  AnalysisStep("paraphrase", params=(("traces", min(12, limit)),))),
        helper=model,
    )
