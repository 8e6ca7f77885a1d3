"""Load any causal LM — an organism, a hub id or a local path — through one code path."""

from ._load import ORGANISM_PREFIX, LoadedModel, load_model, resolve_model

__all__ = ["ORGANISM_PREFIX", "LoadedModel", "load_model", "resolve_model"]
