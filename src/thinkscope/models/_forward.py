"""Forward calls with a KV cache across transformers versions.

transformers 5.x renamed the cache argument and output from ``past_key_values`` to ``cache``
(the old names warn and go away in 5.40); older releases, which the vLLM extra pins, only know
``past_key_values``. Every KV-cached loop in thinkscope goes through these two helpers.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=32)
def _cache_name(forward_type: Any) -> str:
    params = inspect.signature(forward_type.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def forward_cached(model: Any, cache: Any = None, **kwargs: Any) -> Any:
    """``model(**kwargs, use_cache=True)`` passing ``cache`` under the name this version takes."""
    if cache is not None:
        kwargs[_cache_name(model.__class__)] = cache
    return model(use_cache=True, **kwargs)


def output_cache(out: Any) -> Any:
    """The KV cache of a model output, whichever name the installed transformers gives it."""
    cache = out.get("cache") if "cache" in out.keys() else None
    return cache if cache is not None else out["past_key_values"]
