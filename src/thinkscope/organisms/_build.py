"""Train, save, locate and evaluate organisms (what the CLI and the tests call)."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._quiet import quiet_hf_progress
from ..model_files import cached_folder
from ._card import organism_card
from ._eval import accuracy_by_k
from ._registry import OrganismSpec, get_organism, split_checkpoint
from ._task import K_MAX, Problem, generate_problems, split

#: Shipped weights live inside the package; THINKSCOPE_ORGANISMS_DIR overrides (e.g. retrained).
SHIPPED_DIR = Path(__file__).parent / "weights"
#: The corpus every organism is trained and evaluated on (see corpora/modarith.md).
CORPUS_SEED = 0
CORPUS_PER_K = 4000
METADATA_FILE = "organism.json"
#: The organism's card (Markdown, made from the metadata).
CARD_FILE = "README.md"
#: Where an RL organism keeps its policy along training (``step-0010/`` ...).
CHECKPOINTS_DIR = "checkpoints"
CHECKPOINT_FILE = "checkpoint.json"
#: Seed of the sampled (temperature 1) evaluations, so they are reproducible.
SAMPLED_EVAL_SEED = 1234


def organisms_dir() -> Path:
    return Path(os.environ.get("THINKSCOPE_ORGANISMS_DIR", SHIPPED_DIR))


def organism_path(name: str, root: Path | None = None) -> Path:
    """The transformers folder an organism loads from; a clear error if it was never
    trained/shipped. A real-base organism's folder is its adapter merged into its base (made
    and cached on first use, see ``_lora``)."""
    spec = get_organism(name)
    found = stored_path(name, root)
    _, step = split_checkpoint(name)
    if spec.lora is None:
        if step is not None:
            raise FileNotFoundError(f"{name}: only real-base RL organisms keep checkpoints")
        return found
    from ._lora import merged_folder

    if step is not None:
        found = checkpoint_path(found, step)
    return merged_folder(spec, found, step=step)


def checkpoint_path(adapter: Path, step: int) -> Path:
    """The adapter an RL organism kept at ``step`` (a clear error listing the kept steps)."""
    path = adapter / CHECKPOINTS_DIR / f"step-{step:04d}"
    kept = _kept_steps(adapter)
    if step not in kept:
        raise FileNotFoundError(f"{adapter.name} kept no checkpoint at step {step}; kept: "
                                f"{', '.join(map(str, kept)) or 'none'}")
    return path


def checkpoint_tokens(name: str, root: Path | None = None) -> int | None:
    """Tokens (prompts + completions) the run had processed at checkpoint ``NAME@STEP``."""
    base, step = split_checkpoint(name)
    if step is None:
        return None
    path = checkpoint_path(stored_path(base, root), step) / CHECKPOINT_FILE
    return int(json.loads(path.read_text())["tokens"]) if path.is_file() else None


def checkpoint_steps(name: str, root: Path | None = None) -> list[int]:
    """The training steps at which an RL organism kept its policy (ascending)."""
    return _kept_steps(stored_path(name, root))


def _kept_steps(adapter: Path) -> list[int]:
    # checkpoint.json is written last and the folder renamed into place: what a killed run
    # left half-written is never listed
    return sorted(int(p.name.split("-")[1]) for p in (adapter / CHECKPOINTS_DIR).glob("step-*")
                  if p.name.split("-")[1].isdigit() and (p / CHECKPOINT_FILE).is_file())


def stored_path(name: str, root: Path | None = None) -> Path:
    """Where an organism's own files are: weights of a char-level one, the adapter of a
    real-base one (with ``organism.json`` beside them either way)."""
    from ._lora import is_adapter

    spec = get_organism(name)
    for base in ([root] if root else []) + [organisms_dir(), SHIPPED_DIR]:
        path = base / spec.name
        if (path / "config.json").is_file() or is_adapter(path):
            return path
    raise FileNotFoundError(
        f"organism {spec.name!r} has no weights in {organisms_dir()}; "
        f"train it with `thinkscope organisms train {spec.name}`"
    )


def corpus(seed: int = CORPUS_SEED) -> list[Problem]:
    """The organisms' full problem set (both splits); a fresh list each call."""
    return list(_corpus(seed))


@lru_cache(maxsize=2)
def _corpus(seed: int) -> tuple[Problem, ...]:
    # Generated once per process: training, each evaluation and each corpus load ask for it.
    return tuple(generate_problems(per_k=CORPUS_PER_K, seed=seed))


def heldout(n_per_k: int | None = None, seed: int = CORPUS_SEED,
            max_k: int | None = None) -> list[Problem]:
    """Held-out problems, optionally the first ``n_per_k`` of each chain length (up to
    ``max_k`` steps)."""
    problems = [p for p in split(corpus(seed), "heldout") if max_k is None or p.k <= max_k]
    if n_per_k is None:
        return problems
    counts: dict[int, int] = {}
    out = []
    for p in problems:
        if counts.get(p.k, 0) < n_per_k:
            counts[p.k] = counts.get(p.k, 0) + 1
            out.append(p)
    return out


def evaluation_set(spec: OrganismSpec) -> list[Problem]:
    """The held-out problems an organism's stored table is measured on: all of them for a
    char-level organism; for a real-base one (costlier per token) ``eval_per_k`` of each chain
    length it was trained on."""
    if spec.lora is None:
        return heldout()
    return heldout(spec.lora.eval_per_k, max_k=spec.max_k)


def load_organism(name: str, root: Path | None = None) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a trained organism on CPU, fp32, eval mode.

    An organism is a plain transformers folder, so ``from_pretrained`` is all it takes; this
    does not go through ``thinkscope.models`` because that layer sits above this one (it
    resolves ``organism:NAME`` through here) and users load organisms through it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = organism_path(name, root)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    with quiet_hf_progress():
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    model.eval()
    return model, tokenizer


def train_organism(
    name: str, out: str | Path | None = None, seed: int = 0, progress: bool = True,
    steps: int | None = None, evaluate: bool = True, log_every: int = 0,
) -> dict[str, Any]:
    """Train one organism deterministically and save it (weights, tokenizer, metadata).

    Args:
        name: organism name.
        out: parent directory (the organism goes to ``out/NAME``); default: the shipped dir.
        seed: training seed.
        steps: override the registry's step count (tests train micro organisms).
        evaluate: measure the accuracy-by-k table on held-out problems and store it.
    """
    import torch

    spec: OrganismSpec = get_organism(name)
    dest = Path(out) if out is not None else organisms_dir()
    torch.manual_seed(seed)
    random.seed(seed)
    train = split(corpus(), "train")
    if spec.max_k is not None:
        train = [p for p in train if p.k <= spec.max_k]
    t0 = time.perf_counter()
    if spec.lora is not None:
        meta = _train_lora(spec, dest, train, steps, seed, progress, log_every)
    else:
        meta = _train_char_level(spec, out, train, steps, seed, progress, log_every)
    path = dest / spec.name
    meta.update(
        organism=spec.name, fmt=spec.fmt, kind=spec.kind.value, cot=spec.cot,
        init_from=spec.init_from, layers=None if spec.lora else spec.layers, max_k=spec.max_k,
        stage_steps=spec.stage_steps, seed=seed,
        corpus={"seed": CORPUS_SEED, "per_k": CORPUS_PER_K},
        total_seconds=round(time.perf_counter() - t0, 1),
        torch_threads=torch.get_num_threads(),
    )
    if evaluate:
        shipped_model, tok = load_organism(spec.name, dest)
        meta["heldout_accuracy"] = accuracy_by_k(shipped_model, tok, evaluation_set(spec),
                                                 progress=progress)["cells"]
        if spec.method == "grpo":
            # Greedy accuracy of the start is already at the ceiling; RL's effect shows in
            # sampled accuracy at the temperature it was trained with (1.0).
            meta["heldout_accuracy_t1"] = accuracy_by_k(
                shipped_model, tok, evaluation_set(spec), temperature=1.0, seed=SAMPLED_EVAL_SEED,
                progress=progress)["cells"]
            start_model, start_tok = load_organism(spec.init_from or "", dest)
            meta["start_heldout_accuracy_t1"] = accuracy_by_k(
                start_model, start_tok, evaluation_set(spec), temperature=1.0,
                seed=SAMPLED_EVAL_SEED,
                progress=progress)["cells"]
    (path / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    (path / CARD_FILE).write_text(organism_card(spec, meta))
    return meta


def _train_char_level(spec: OrganismSpec, out: str | Path | None, train: list[Problem],
                      steps: int | None, seed: int, progress: bool,
                      log_every: int) -> dict[str, Any]:
    """Train a char-level organism (from scratch or from another one) and save it."""
    from ._sft import ArchConfig, SFTConfig, make_model, save_organism, train_sft
    from ._tokenizer import build_tokenizer

    dest = Path(out) if out is not None else organisms_dir()
    if spec.init_from is None:
        tokenizer = build_tokenizer()
        model = make_model(tokenizer, ArchConfig(num_hidden_layers=spec.layers), seed)
    else:
        model, tokenizer = load_organism(spec.init_from, Path(out) if out else None)
    n_steps = steps if steps is not None else spec.steps
    if spec.method == "sft":
        meta = train_sft(model, tokenizer, train,
                         SFTConfig(fmt=spec.fmt, steps=n_steps, lr=spec.lr, seed=seed,
                                   balance_k=spec.balance_k, stage_steps=spec.stage_steps,
                                   max_stage=spec.max_k or K_MAX),
                         progress=progress, log_every=log_every)
    elif spec.method == "grpo":
        from ._grpo import train_grpo

        g = spec.grpo
        meta = train_grpo(model, tokenizer, train, steps=n_steps, lr=spec.lr, seed=seed,
                          progress=progress, num_generations=g.num_generations,
                          prompts_per_step=g.prompts_per_step,
                          max_completion_length=g.max_completion_length)
    else:  # pragma: no cover - registry is closed
        raise ValueError(f"unknown training method {spec.method!r}")
    save_organism(model, tokenizer, dest / spec.name)
    return meta


def _train_lora(spec: OrganismSpec, dest: Path, train: list[Problem], steps: int | None,
                seed: int, progress: bool, log_every: int) -> dict[str, Any]:
    """Train a real-base organism's adapter and save it to ``dest/NAME``."""
    from ._lora import save_adapter, trainable_model
    from ._sft import SFTConfig, train_sft

    assert spec.lora is not None
    init = stored_path(spec.init_from, dest) if spec.init_from else None
    model, tokenizer = trainable_model(spec, init, seed)
    n_steps = steps if steps is not None else spec.steps
    if spec.method == "grpo":
        from ._grpo import train_grpo

        def keep(m: Any, step: int, tokens: int) -> None:
            kept = dest / spec.name / CHECKPOINTS_DIR / f"step-{step:04d}"
            shutil.rmtree(kept, ignore_errors=True)  # a retrained run replaces its checkpoints
            record = json.dumps({"step": step, "tokens": tokens}) + "\n"
            with cached_folder(kept, CHECKPOINT_FILE, record) as aside:
                save_adapter(m, tokenizer, spec, aside)

        g = spec.grpo
        meta = train_grpo(model, tokenizer, train, steps=n_steps, lr=spec.lr, seed=seed,
                          progress=progress, num_generations=g.num_generations,
                          prompts_per_step=g.prompts_per_step,
                          max_completion_length=g.max_completion_length,
                          checkpoint_every=g.checkpoint_every, on_checkpoint=keep)
    else:
        meta = train_sft(model, tokenizer, train,
                         SFTConfig(fmt=spec.fmt, steps=n_steps, lr=spec.lr, seed=seed,
                                   batch_size=spec.lora.batch_size, warmup=spec.lora.warmup,
                                   balance_k=spec.balance_k, stage_steps=spec.stage_steps,
                                   max_stage=spec.max_k or K_MAX),
                         progress=progress, log_every=log_every)
    save_adapter(model, tokenizer, spec, dest / spec.name)
    meta.update(base=spec.lora.base, lora={"r": spec.lora.r, "alpha": spec.lora.alpha,
                                           "first_layer": spec.lora.first_layer,
                                           "batch_size": spec.lora.batch_size},
                trainable_parameters=sum(p.numel() for p in model.parameters()
                                         if p.requires_grad))
    return meta


def organism_metadata(name: str, root: Path | None = None) -> dict[str, Any]:
    """The training metadata saved beside an organism's weights (or adapter)."""
    path = stored_path(name, root) / METADATA_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def evaluate_organism(name: str, n_per_k: int | None = None, progress: bool = True,
                      root: Path | None = None, temperature: float = 0.0) -> dict[str, Any]:
    """Accuracy by chain length on held-out problems, for a trained organism (greedy, or
    sampled at ``temperature`` with the fixed evaluation seed)."""
    model, tok = load_organism(name, root)
    spec = get_organism(name)
    problems = heldout(n_per_k, max_k=spec.max_k) if n_per_k is not None \
        else evaluation_set(spec)
    return accuracy_by_k(model, tok, problems, progress=progress,
                         temperature=temperature, seed=SAMPLED_EVAL_SEED)
