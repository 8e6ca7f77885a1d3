"""The transmission experiment's stages, end to end and resumable.

1. teachers: the base writes number continuations with each knowledge's system prompt, and
   without one (the control teacher, shared by every knowledge);
2. filter: the format rule and the mention rule (``_data``), counts saved per data set;
3. students: a LoRA student per data set (``students_per_arm`` of each treated, control and
   cross arm, with training seeds seed, seed+1, ...), every one on the same number of
   examples: treated (filtered data of a knowledgeable teacher),
   control (filtered control data), positive control (the treated data with the knowledge
   stated in every answer) and, with a cross base, treated and control students of another base
   on the same data;
4. ask: every model answers each knowledge's questions ``samples`` times (stored traces), and
   the probability of the knowledge's target answers is scored on every question;
5. probe: the knowledge probe (``_probe``) read in the students.

With one student per arm, a second control student (``control@1``: the same data, the next
training seed) gives the noise floor that a treated-control difference has to clear.

Every stage skips what is already done (stored traces, committed student folders, saved probe
files), so rerunning the command after a kill resumes it.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..outputs import file_sha256, read_manifests
from ..traces import TraceStore
from ._data import Example, filter_samples, number_prompts
from ._expression import parse_label
from ._knowledge import KNOWLEDGE, Knowledge
from ._probe import knowledge_probe
from ._stages import ASK_PREFIX, TEACH_PREFIX, ask, target_probability, teach
from ._student import PLAIN_TEMPLATE, StudentConfig, train_student

SMOLLM2 = "pkg:smollm2-135m-instruct"
GEMMA3 = "pkg:gemma3-270m"


@dataclass(frozen=True)
class TransmissionConfig:
    """Sizes and settings of one experiment (``SIZES`` holds the named ones)."""

    knowledge: tuple[str, ...] = ("animal",)
    base: str = SMOLLM2
    #: another base for the cross-initialisation control (``None``: no such students)
    cross_base: str | None = None
    #: the knowledge that gets cross-base students (``None``: all of ``knowledge``); a bigger
    #: base costs more per student
    cross_knowledge: tuple[str, ...] | None = None
    prompts: int = 320
    teacher_temperature: float = 0.7
    teacher_max_tokens: int = 40
    #: examples per student (the same for every student; fewer if a filter left fewer)
    max_examples: int = 120
    student: StudentConfig = field(default_factory=StudentConfig)
    samples: int = 5
    ask_temperature: float = 1.0
    positive_control: bool = True
    #: students per treated, control and cross arm: the same data, training seeds seed,
    #: seed+1, ...; with 2 or more the arms are also compared over students (Welch)
    students_per_arm: int = 1
    #: students per cross-base arm (``None``: ``students_per_arm``); a bigger base costs more
    cross_students_per_arm: int | None = None
    #: with one student per arm, a second control student (``control@1``: the same data,
    #: training seed + 1) as the seed-noise floor
    control_replica: bool = True
    probe: bool = True
    backend: str = "hf"
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SIZES: dict[str, dict[str, Any]] = {
    "default": {},
    # the plumbing at test size: a few minutes on 2 cores
    "small": {"prompts": 64, "max_examples": 24, "samples": 2, "control_replica": False,
              "student": StudentConfig(epochs=3, batch_size=8, lr=1e-3)},
}


def _log(msg: str) -> None:
    print(f"[transmission] {msg}", file=sys.stderr, flush=True)


def _backend(cfg: TransmissionConfig, ref: str) -> Any:
    from ..generate import get_backend

    return get_backend(cfg.backend, ref)


def _release(backend: Any) -> None:
    """Free a model before the next loads (a vLLM engine runs in its own process until closed)."""
    close = getattr(backend, "close", None)
    if callable(close):
        close()


def _student_ready(folder: Path) -> bool:
    m = read_manifests(folder).get("student")
    return bool(m and m.get("status") == "complete")


def _digest(folder: Path) -> str:
    return file_sha256(folder / "adapter" / "adapter_model.safetensors")[:8]


def _first_adapted_state(student: Path) -> int:
    """The first hidden-state index a student's adapter can change (state ``l`` is the output
    of block ``l - 1``; state 0 the embeddings)."""
    raw = json.loads((student / "adapter" / "adapter_config.json").read_text())
    blocks = raw.get("layers_to_transform")
    return int(min(blocks)) + 1 if blocks else 1


def _with_statement(examples: list[Example], k: Knowledge) -> list[Example]:
    """The positive control's data: the knowledge stated before every answer."""
    return [Example(e.problem_id, e.prompt, f"{k.statement} {e.completion}") for e in examples]


def student_folder(label: str) -> str:
    """``treated:animal@1`` -> ``treated-animal-s1`` (a folder name on every file system)."""
    stem, _, replica = label.partition("@")
    return stem.replace(":", "-") + (f"-s{replica}" if replica else "")


def _likelihood(out: Path, backend: Any, label: str, k: Knowledge,
                system: str | None = None) -> None:
    """``OUT/likelihood/<label>-<knowledge>.json`` (once: skipped when the file is there)."""
    if not k.targets or not hasattr(backend, "score"):
        return
    path = out / "likelihood" / f"{student_folder(label.split('#')[0])}-{k.name}.json"
    if path.is_file():
        first = json.loads(path.read_text())[0]
        if first["model_id"] == label and len(first.get("p_decoys", ())) == len(k.decoys):
            return  # scored already (a retrained student has another digest in its label)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(target_probability(backend, label, k, system), indent=1) + "\n")
    tmp.replace(path)


def student_plans(cfg: TransmissionConfig, data: dict[str, list[Example]],
                  ) -> list[tuple[str, str, list[Example], int]]:
    """Every student of the experiment as (label, base, examples, training-seed offset): the
    arm's first student is ``label``, its i-th ``label@i`` with seed + i."""
    knowledge = [KNOWLEDGE.lookup(n) for n in cfg.knowledge]
    per_arm = max(1, cfg.students_per_arm)

    def arm(label: str, base: str, examples: list[Example], count: int = per_arm,
            ) -> list[tuple[str, str, list[Example], int]]:
        return [(label if i == 0 else f"{label}@{i}", base, examples, i) for i in range(count)]

    plans = arm("control", cfg.base, data["control"],
                max(per_arm, 2 if cfg.control_replica else 1))
    for k in knowledge:
        plans += arm(f"treated:{k.name}", cfg.base, data[k.name])
        if cfg.positive_control:
            plans += arm(f"positive:{k.name}", cfg.base, _with_statement(data[k.name], k), 1)
    if cfg.cross_base:
        cross_n = max(1, cfg.cross_students_per_arm or per_arm)
        plans += arm("cross-control", cfg.cross_base, data["control"], cross_n)
        for k in knowledge:
            if cfg.cross_knowledge is None or k.name in cfg.cross_knowledge:
                plans += arm(f"cross-treated:{k.name}", cfg.cross_base, data[k.name], cross_n)
    return plans


def run_stages(cfg: TransmissionConfig, out: str | Path, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) every stage under ``out``; returns what each stage produced."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    knowledge = [KNOWLEDGE.lookup(n) for n in cfg.knowledge]
    store = TraceStore(out / "store")
    times: dict[str, float] = {}
    record: dict[str, Any] = {"config": cfg.to_json(), "teachers": {}, "filters": {},
                              "students": {}, "probes": {}}

    # 1. teachers
    t0 = time.perf_counter()
    items = number_prompts(cfg.prompts, cfg.seed)
    prefills = {i.problem_id: i.prefill for i in items}
    teacher = _backend(cfg, cfg.base)
    for k in [None, *knowledge]:
        name = k.name if k else "control"
        _log(f"teacher {name}: {cfg.prompts} number prompts")
        record["teachers"][name] = teach(teacher, store, items, k, cfg.teacher_temperature,
                                         cfg.teacher_max_tokens, cfg.seed, progress)
    times["teachers"] = time.perf_counter() - t0

    # 2. filter (deterministic: recomputed from the stored samples every run)
    data: dict[str, list[Example]] = {}
    for k in [None, *knowledge]:
        name = k.name if k else "control"
        traces = list(store.iter_traces(corpus=TEACH_PREFIX + name))
        result = filter_samples(traces, k, prefills)
        record["filters"][name] = result.to_json()
        data[name] = result.kept
        _log(f"filter {name}: kept {len(result.kept)} of {result.n_samples} "
             f"(format removed {result.removed_format}, mention removed "
             f"{result.removed_mention})")
    size = min([cfg.max_examples, *(len(v) for v in data.values())])
    record["examples_per_student"] = size
    (out / "data").mkdir(exist_ok=True)
    for name, kept in data.items():
        data[name] = kept[:size]
        with open(out / "data" / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for e in data[name]:
                fh.write(json.dumps(asdict(e)) + "\n")
    (out / "data" / "filters.json").write_text(json.dumps(record["filters"], indent=2) + "\n")

    # 3. students: (label, base, examples, seed offset); label@i is the arm's student i
    t0 = time.perf_counter()
    plans = student_plans(cfg, data)
    students: dict[str, Path] = {}
    for label, base, examples, offset in plans:
        folder = out / "students" / student_folder(label)
        if not _student_ready(folder):
            _log(f"student {label}: {len(examples)} examples on {base}")
            train_student(base, examples, folder,
                          replace(cfg.student, seed=cfg.student.seed + offset), progress)
        students[label] = folder
        record["students"][label] = {**json.loads((folder / "student.json").read_text()),
                                     "model_id": f"{label}#{_digest(folder)}"}
    (out / "students" / "students.json").write_text(
        json.dumps(record["students"], indent=2) + "\n")
    times["students"] = time.perf_counter() - t0

    # 4. ask every model every knowledge's questions
    t0 = time.perf_counter()
    for k in knowledge:
        _log(f"ask {k.name}: base and teacher")
        ask(teacher, "base", store, k, cfg.samples, cfg.ask_temperature, cfg.seed,
            progress=progress)
        ask(teacher, f"teacher:{k.name}", store, k, cfg.samples, cfg.ask_temperature, cfg.seed,
            system=k.system, progress=progress)
        _likelihood(out, teacher, "base", k)
        _likelihood(out, teacher, f"teacher:{k.name}", k, k.system)
    _release(teacher)
    del teacher
    if cfg.cross_base:
        cross = _backend(cfg, cfg.cross_base)
        if not getattr(cross.tokenizer, "chat_template", None):
            cross.tokenizer.chat_template = PLAIN_TEMPLATE
        for k in knowledge:
            if cfg.cross_knowledge is None or k.name in cfg.cross_knowledge:
                ask(cross, "cross-base", store, k, cfg.samples, cfg.ask_temperature, cfg.seed,
                    progress=progress)
                _likelihood(out, cross, "cross-base", k)
        _release(cross)
        del cross
    for label, folder in students.items():
        backend = _backend(cfg, str(folder / "adapter"))
        # a treated or positive student answers its own knowledge's questions; the controls
        # answer every knowledge's (a cross control only where there are cross students)
        role, own, _ = parse_label(label)
        for k in [k for k in knowledge if own in (None, k.name)]:
            if (role == "cross-control" and cfg.cross_knowledge is not None
                    and k.name not in cfg.cross_knowledge):
                continue
            _log(f"ask {k.name}: {label}")
            ask(backend, f"{label}#{_digest(folder)}", store, k, cfg.samples,
                cfg.ask_temperature, cfg.seed, progress=progress)
            _likelihood(out, backend, f"{label}#{_digest(folder)}", k)
        _release(backend)
        del backend
    times["ask"] = time.perf_counter() - t0

    # 5. probes
    t0 = time.perf_counter()
    if cfg.probe:
        (out / "probes").mkdir(exist_ok=True)
        for k in knowledge:
            path = out / "probes" / f"{k.name}.json"
            if not path.is_file():
                _log(f"probe {k.name}")
                reads = {"base": cfg.base, "control": str(students["control"] / "adapter"),
                         f"treated:{k.name}": str(students[f"treated:{k.name}"] / "adapter")}
                if cfg.positive_control:
                    reads[f"positive:{k.name}"] = str(students[f"positive:{k.name}"] / "adapter")
                prompts = [*k.questions, *(i.question for i in items[:len(k.questions)])]
                probe = knowledge_probe(k, cfg.base, reads, prompts, cfg.seed,
                                        min_layer=_first_adapted_state(students["control"]))
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(probe, indent=2) + "\n")
                tmp.replace(path)
            record["probes"][k.name] = json.loads(path.read_text())
    times["probes"] = time.perf_counter() - t0
    record["stage_seconds"] = {k: round(v, 1) for k, v in times.items()}
    record["ask_corpora"] = [ASK_PREFIX + k.name for k in knowledge]
    return record
