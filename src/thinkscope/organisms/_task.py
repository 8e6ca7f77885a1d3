"""The organisms' task: modular arithmetic chains with a known value after every step.

A problem is ``start 4, +7, *3, -5 (mod 10)``: apply each operation in turn, mod 10. Every
intermediate value is known, so every claim in a trace can be checked exactly, and chain length
``k`` is the difficulty knob. Problems are unique; the held-out split is chosen by a hash of the
problem text, so no held-out problem is ever trained on, whatever the seed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MOD = 10
OPS = ("+", "-", "*")
OPERANDS = tuple(range(1, 10))
K_MAX = 6
#: About one problem in ten is held out.
HELDOUT_BUCKETS = 10


def apply(value: int, op: str, operand: int, mod: int = MOD) -> int:
    """One step of a chain."""
    if op == "+":
        return (value + operand) % mod
    if op == "-":
        return (value - operand) % mod
    if op == "*":
        return (value * operand) % mod
    raise ValueError(f"unknown operation {op!r}")


@dataclass(frozen=True)
class Problem:
    """One chain with its ground truth."""

    start: int
    ops: tuple[tuple[str, int], ...]
    mod: int = MOD
    values: tuple[int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        vals = []
        v = self.start
        for op, a in self.ops:
            v = apply(v, op, a, self.mod)
            vals.append(v)
        object.__setattr__(self, "values", tuple(vals))

    @property
    def k(self) -> int:
        return len(self.ops)

    @property
    def answer(self) -> int:
        return self.values[-1]

    @property
    def text(self) -> str:
        """The question as the user writes it."""
        steps = ", ".join(f"{op}{a}" for op, a in self.ops)
        return f"start {self.start}, {steps} (mod {self.mod})"

    @property
    def problem_id(self) -> str:
        return "ma-" + hashlib.sha256(self.text.encode()).hexdigest()[:12]

    @property
    def split(self) -> str:
        bucket = int(hashlib.sha256(self.text.encode()).hexdigest(), 16) % HELDOUT_BUCKETS
        return "heldout" if bucket == 0 else "train"

    def step_prefix(self, i: int) -> int:
        """The value before step i (0-based)."""
        return self.start if i == 0 else self.values[i - 1]

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["ops"] = [[op, a] for op, a in self.ops]
        d.update(problem_id=self.problem_id, question=self.text, k=self.k, answer=self.answer,
                 split=self.split)
        return d

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Problem:
        raw_ops: Any = d["ops"]
        ops = tuple((str(op), int(a)) for op, a in raw_ops)
        return cls(start=int(d["start"]), ops=ops, mod=int(d.get("mod", MOD)))  # type: ignore[call-overload]


def _all_ops() -> list[tuple[str, int]]:
    return [(op, a) for op in OPS for a in OPERANDS]


def generate_problems(per_k: int = 4000, k_max: int = K_MAX, seed: int = 0) -> list[Problem]:
    """Unique problems, ``per_k`` of each length 1..k_max (all of them when fewer exist)."""
    rng = random.Random(seed)
    ops = _all_ops()
    out: list[Problem] = []
    for k in range(1, k_max + 1):
        total = MOD * len(ops) ** k
        if total <= per_k:
            chosen = [Problem(s, tuple(c)) for s in range(MOD)
                      for c in itertools.product(ops, repeat=k)]
        else:
            seen: set[tuple[int, tuple[tuple[str, int], ...]]] = set()
            chosen = []
            while len(chosen) < per_k:
                s = rng.randrange(MOD)
                c = tuple(rng.choice(ops) for _ in range(k))
                if (s, c) not in seen:
                    seen.add((s, c))
                    chosen.append(Problem(s, c))
        out.extend(chosen)
    rng.shuffle(out)
    return out


def split(problems: Iterable[Problem], which: str) -> list[Problem]:
    """Problems of one split (``train`` or ``heldout``)."""
    return [p for p in problems if p.split == which]


def write_corpus(problems: Iterable[Problem], path: str | Path) -> int:
    """Write problems as JSONL (one per line); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w") as fh:
        for p in problems:
            fh.write(json.dumps(p.to_json(), separators=(",", ":")) + "\n")
            n += 1
    return n


def read_corpus(path: str | Path) -> Iterator[Problem]:
    """Problems from a JSONL corpus file."""
    with open(path) as fh:
        for line in fh:
            if line.strip():
                yield Problem.from_json(json.loads(line))
