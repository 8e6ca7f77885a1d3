"""Load any causal LM — an organism, a hub id, a local path or a GGUF file — through one path."""

from ..model_files import (
    PACKAGE_PREFIX,
    PACKAGED_MODELS,
    MissingModelPackage,
    cache_root,
    converted_gguf,
    packaged_gguf,
)
from ._batching import forward_hook, hidden_of, pad_batch, with_hidden
from ._forward import forward_cached, output_cache
from ._load import ORGANISM_PREFIX, LoadedModel, load_model, resolve_model

__all__ = ["ORGANISM_PREFIX", "PACKAGE_PREFIX", "PACKAGED_MODELS", "LoadedModel",
           "MissingModelPackage", "cache_root", "converted_gguf", "forward_cached",
           "forward_hook", "hidden_of", "load_model", "output_cache", "packaged_gguf",
           "pad_batch", "resolve_model", "with_hidden"]
