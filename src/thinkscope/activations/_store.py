"""Activation sets on disk: fp16 safetensors shards plus a parquet metadata table per shard and
one JSON manifest, rewritten atomically after each shard (a killed run resumes from it)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def tensor_name(component: str, layer: int, step: int | None = None) -> str:
    """Key of one layer's activations in a shard (``resid.L3``; ``resid.L3.s1`` for the second
    call of a block that runs several times per forward, as in recurrent-depth models)."""
    return f"{component}.L{layer}" + (f".s{step}" if step is not None else "")


@dataclass
class Manifest:
    """What an activation set holds and which traces are done."""

    model: str
    layers: list[int]
    components: list[str]
    positions: list[str]
    d_model: int = 0
    random_init: int | None = None
    store: str | None = None
    tensors: list[str] = field(default_factory=list)
    shards: list[dict[str, Any]] = field(default_factory=list)
    format_version: int = FORMAT_VERSION

    @property
    def n_rows(self) -> int:
        return sum(int(s["n_rows"]) for s in self.shards)

    def done(self) -> set[str]:
        return {t for s in self.shards for t in s["trace_ids"]}

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_manifest(root: str | Path) -> Manifest | None:
    path = Path(root) / MANIFEST
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: activation format {data.get('format_version')} is not "
                         f"{FORMAT_VERSION}")
    return Manifest(**data)


def write_manifest(root: str | Path, manifest: Manifest) -> None:
    path = Path(root) / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=1))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class ActivationSet:
    """Read side of an activation directory.

    ``meta`` has one row per saved position (``row`` indexes the arrays); ``array(layer)``
    returns float32 ``[n_rows, d_model]``.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        manifest = read_manifest(self.root)
        if manifest is None:
            raise FileNotFoundError(f"{self.root}: no {MANIFEST} (not an activation set)")
        self.manifest = manifest
        self._meta: Any = None

    @property
    def meta(self) -> Any:
        import pandas as pd

        if self._meta is None:
            parts = [pd.read_parquet(self.root / s["meta"]) for s in self.manifest.shards]
            meta = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
            meta["row"] = np.arange(len(meta))
            self._meta = meta
        return self._meta

    @property
    def layers(self) -> list[int]:
        return list(self.manifest.layers)

    def array(self, layer: int, component: str = "resid", step: int | None = None) -> np.ndarray:
        """All rows of one layer as float32."""
        from safetensors.numpy import load_file

        name = tensor_name(component, layer, step)
        if name not in self.manifest.tensors:
            raise KeyError(f"{self.root}: no activations {name!r}; saved: "
                           f"{', '.join(self.manifest.tensors)}")
        parts = [load_file(self.root / s["file"])[name] for s in self.manifest.shards]
        if not parts:
            return np.zeros((0, self.manifest.d_model), dtype=np.float32)
        return np.concatenate(parts).astype(np.float32)
