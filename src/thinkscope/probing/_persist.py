"""Probes saved without pickle: arrays in safetensors, everything else in JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ._probes import PROBES

_ARRAYS = ("coef_", "intercept_", "mean_", "scale_", "means_", "direction_means_")


def save_probe(probe: Any, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write ``path.safetensors`` and ``path.json`` (class, params, classes, metadata)."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = next(k for k, v in PROBES.items() if isinstance(probe, v))
    arrays = {a: np.ascontiguousarray(getattr(probe, a), dtype=np.float64)
              for a in _ARRAYS if hasattr(probe, a)}
    save_file(arrays, str(path.with_suffix(".safetensors")))
    classes = [c.item() if hasattr(c, "item") else c for c in probe.classes_]
    info = {"probe": name, "params": probe.get_params(), "classes": classes,
            "n_features_in": int(probe.n_features_in_),
            "C": getattr(probe, "C_", None), "temperature": getattr(probe, "temperature_", None),
            "extra": extra or {}}
    path.with_suffix(".json").write_text(json.dumps(info, indent=1, default=list))
    return path


def load_probe(path: str | Path) -> Any:
    """A fitted probe from :func:`save_probe` files."""
    from safetensors.numpy import load_file

    path = Path(path)
    info = json.loads(path.with_suffix(".json").read_text())
    params = info["params"]
    if "Cs" in params:
        params["Cs"] = tuple(params["Cs"])
    probe = PROBES[info["probe"]](**params)
    for k, v in load_file(str(path.with_suffix(".safetensors"))).items():
        setattr(probe, k, v)
    probe.classes_ = np.asarray(info["classes"])
    probe.n_features_in_ = info["n_features_in"]
    if info.get("C") is not None:
        probe.C_ = info["C"]
    if info.get("temperature") is not None:
        probe.temperature_ = info["temperature"]
    return probe
