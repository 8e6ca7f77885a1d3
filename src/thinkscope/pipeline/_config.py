"""``thinkscope run --config plan.yaml``: a run plan as a file, validated before any work.

The file either spells out a whole ``Plan`` (its fields: ``corpus``, ``traces``, ``early``,
``analyses``, ...) or starts from a preset and overrides some fields::

    preset: real            # or: organisms (with scale: 0.5)
    model: pkg:smollm2-135m-instruct
    corpus: gsm8k
    limit: 100
    backend: hf
    steer_alphas: [0.05, 0.1]
    analyses:
      - name: hints
        params: {problems: 12, kinds: [sycophancy, metadata]}

Unknown keys, wrong types and unknown analysis names are one-line errors naming the field.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ._plan import Plan, organism_plan, real_plan

_PRESET_KEYS = {"organisms": ("scale",), "real": ("model", "corpus", "limit", "samples",
                                                   "temperature", "max_tokens")}


class PlanError(ValueError):
    """A plan file that cannot be run: the message names the file and the field."""


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise PlanError(f"{path}: not valid {kind}: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{path}: a plan is a mapping of fields, not {type(data).__name__}")
    return data


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """YAML shapes to the dataclass shapes (``params`` mappings to pairs)."""
    out = dict(data)
    if isinstance(out.get("analyses"), list):
        steps = []
        for step in out["analyses"]:
            if isinstance(step, str):
                step = {"name": step}
            if isinstance(step, dict) and isinstance(step.get("params"), dict):
                step = {**step, "params": [[k, tuple(v) if isinstance(v, list) else v]
                                           for k, v in step["params"].items()]}
            steps.append(step)
        out["analyses"] = steps
    return out


def load_plan(path: str | Path) -> Plan:
    """The ``Plan`` a file describes (see the module docstring)."""
    from pydantic import TypeAdapter, ValidationError

    path = Path(path)
    data = _read(path)
    preset = data.pop("preset", None)
    fields = {f.name for f in dataclasses.fields(Plan)}
    base: Plan | None = None
    if preset is not None:
        if preset not in _PRESET_KEYS:
            raise PlanError(f"{path}: preset must be one of {', '.join(_PRESET_KEYS)}, "
                            f"not {preset!r}")
        args = {k: data.pop(k) for k in _PRESET_KEYS[preset] if k in data}
        if preset == "real":
            if "model" not in args:
                raise PlanError(f"{path}: preset real needs a model")
            base = real_plan(args.pop("model"), args.pop("corpus", "gsm8k"),
                             int(args.pop("limit", 50)), **args)
        else:
            base = organism_plan(float(args.get("scale", 1.0)))
    unknown = sorted(set(data) - fields)
    if unknown:
        raise PlanError(f"{path}: unknown field {unknown[0]!r}; plan fields: "
                        f"{', '.join(sorted(fields))}")
    merged = {**(dataclasses.asdict(base) if base is not None else {}), **_normalise(data)}
    try:
        plan = TypeAdapter(Plan).validate_python(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise PlanError(f"{path}: {where}: {err['msg']}") from None
    return plan


def check_plan(plan: Plan) -> None:
    """Names a plan refers to exist (analyses, backend) before any work starts."""
    from pydantic import ValidationError

    from ..analyze import ANALYSES
    from ..generate import BACKENDS
    from ._run import STEPS

    if plan.backend not in BACKENDS:
        raise PlanError(BACKENDS.unknown(plan.backend))
    for step in plan.analyses or ():
        if step.name not in ANALYSES:
            raise PlanError(ANALYSES.unknown(step.name))
        if step.name in STEPS:
            raise PlanError(f"analysis {step.name} is a built-in step of every run, not one "
                            "to list: the plan's own fields (early, mistakes, filler, "
                            "importance) say which models those run on")
        try:
            ANALYSES[step.name].parse_params(dict(step.params))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise PlanError(f"analysis {step.name}: params.{where}: {err['msg']}") from None
