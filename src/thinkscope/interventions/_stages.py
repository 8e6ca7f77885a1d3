"""The generation stages of a transmission experiment, each a resumable run into the store.

Teacher samples and the students' answers to the knowledge questions are all traces in one
``TraceStore``: a killed experiment resumes from the last stored chunk, and every number in the
results can be traced back to the samples behind it. Each model is stored under a label
(``base``, ``teacher:animal``, ``student:control#<adapter digest>``...) rather than its file
path: the label says its role, and the digest keeps a retrained student's answers apart from an
earlier one's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..generate import CorpusItem, PromptBuilder, PromptStyle, Sampling, run_generation
from ..traces import TraceStore
from ._knowledge import Knowledge

TEACH_PREFIX = "transmission-teach-"
ASK_PREFIX = "transmission-ask-"


@dataclass
class LabelledBackend:
    """A backend whose traces are stored under ``model_id`` = a role label."""

    backend: Any
    model_id: str
    name: str = ""

    def __post_init__(self) -> None:
        self.name = str(self.backend.name)

    @property
    def tokenizer(self) -> Any:
        return getattr(self.backend, "tokenizer", None)

    def generate(self, requests: Sequence[Any], progress: bool = False) -> Any:
        return self.backend.generate(requests)


def plain_builder(tokenizer: Any, system: str | None) -> PromptBuilder:
    """Prompts without reasoning: the question as the user turn, ``system`` if given."""
    return PromptBuilder(tokenizer, style=PromptStyle.instruct, instruction=None,
                         reasoning=False, system=system)


def teach(backend: Any, store: TraceStore, items: Sequence[CorpusItem],
          knowledge: Knowledge | None, temperature: float, max_tokens: int, seed: int,
          progress: bool = True) -> dict[str, Any]:
    """Teacher samples on the number prompts, with ``knowledge``'s system prompt or (``None``)
    without one; stored under corpus ``transmission-teach-<name|control>``."""
    name = knowledge.name if knowledge else "control"
    builder = plain_builder(backend.tokenizer, knowledge.system if knowledge else None)
    sampling = Sampling(temperature=temperature, max_tokens=max_tokens, stop=("\n",))
    summary = run_generation(LabelledBackend(backend, f"teacher:{name}"), builder, items, store,
                             corpus=TEACH_PREFIX + name, samples=1, sampling=sampling,
                             seed=seed, progress=progress)
    return summary.to_json()


def question_items(knowledge: Knowledge) -> list[CorpusItem]:
    return [CorpusItem(f"q{i:02d}", q, None) for i, q in enumerate(knowledge.questions)]


def ask(backend: Any, label: str, store: TraceStore, knowledge: Knowledge, samples: int,
        temperature: float, seed: int, system: str | None = None,
        progress: bool = True) -> dict[str, Any]:
    """``samples`` answers of ``label`` to each of the knowledge's questions, stored under
    corpus ``transmission-ask-<knowledge>``."""
    builder = plain_builder(backend.tokenizer, system)
    sampling = Sampling(temperature=temperature, max_tokens=16, stop=("\n",))
    summary = run_generation(LabelledBackend(backend, label), builder, question_items(knowledge),
                             store, corpus=ASK_PREFIX + knowledge.name, samples=samples,
                             sampling=sampling, seed=seed, progress=progress)
    return summary.to_json()


def target_probability(backend: Any, label: str, knowledge: Knowledge,
                       system: str | None = None) -> list[dict[str, Any]]:
    """Per question, the probability that ``label`` answers with one of the knowledge's target
    answers (summed over them), teacher-forced: far more sensitive than sampled answers when a
    small model's samples are noisy, and free of sampling error. ``p_decoys`` holds the same
    probability for each of the knowledge's decoy items (other animals, numbers, words), the
    yardstick of specificity."""
    import math

    builder = plain_builder(backend.tokenizer, system)

    groups = [knowledge.targets, *knowledge.decoys]
    answers = [builder.encode(a) for g in groups for a in g]
    rows = []
    for item in question_items(knowledge):
        prompt = builder.prompt_ids(item.question)
        if hasattr(backend, "score_many"):
            logps = backend.score_many(prompt, answers)
        else:
            logps = [backend.score(prompt, a) for a in answers]
        probs = iter(math.exp(sum(lp)) for lp in logps)
        p = [sum(next(probs) for _ in g) for g in groups]
        rows.append({"knowledge": knowledge.name, "model": label.split("#", 1)[0],
                     "model_id": label, "question": item.problem_id, "p_target": p[0],
                     "p_decoys": p[1:]})
    return rows
