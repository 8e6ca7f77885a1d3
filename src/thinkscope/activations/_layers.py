"""Finding the residual-stream blocks (and their attention / MLP parts) of any HF causal LM.

Layer ``0`` is the embedding output and layer ``l >= 1`` the residual stream after block ``l``
(the numbering of ``output_hidden_states``). The last layer is the last block's output *before*
the final norm, where HF's last hidden state is after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: attribute paths to the list of transformer blocks, in the order they are tried
BLOCK_PATHS = ("model.layers", "model.decoder.layers", "transformer.h", "gpt_neox.layers",
               "model.language_model.layers", "transformer.blocks", "layers")
ATTN_NAMES = ("self_attn", "attn", "attention", "self_attention")
MLP_NAMES = ("mlp", "feed_forward", "ffn")
COMPONENTS = ("resid", "attn", "mlp")


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def find_blocks(model: Any) -> list[Any]:
    """The model's transformer blocks, in order."""
    for path in BLOCK_PATHS:
        blocks = _get(model, path)
        if blocks is not None and hasattr(blocks, "__len__") and len(blocks) > 0:
            return list(blocks)
    raise ValueError(f"cannot find the transformer blocks of {type(model).__name__}; tried "
                     f"{', '.join(BLOCK_PATHS)}")


def n_layers(model: Any) -> int:
    """Number of residual-stream layers after the embeddings."""
    return len(find_blocks(model))


def component_module(model: Any, component: str, layer: int) -> Any:
    """The module whose output is ``component`` at ``layer``."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}; valid: {', '.join(COMPONENTS)}")
    if layer == 0:
        if component != "resid":
            raise ValueError("layer 0 is the embedding output: only 'resid' exists there")
        return model.get_input_embeddings()
    block = find_blocks(model)[layer - 1]
    if component == "resid":
        return block
    names = ATTN_NAMES if component == "attn" else MLP_NAMES
    for name in names:
        sub = getattr(block, name, None)
        if sub is not None:
            return sub
    raise ValueError(f"block {layer} of {type(model).__name__} has no {component} module "
                     f"(looked for {', '.join(names)})")


def parse_layers(spec: str | Iterable[int], total: int) -> list[int]:
    """``all``, ``0,2,4``, ``1-3``, ``-1`` (the last) -> sorted unique layer numbers in
    ``0..total``."""
    if not isinstance(spec, str):
        items = [str(x) for x in spec]
    elif spec.strip() == "all":
        return list(range(total + 1))
    else:
        items = [s.strip() for s in spec.split(",") if s.strip()]
    out: set[int] = set()
    for item in items:
        try:
            if "-" in item[1:]:
                lo, hi = item.split("-", 1) if not item.startswith("-") else (item, item)
                out.update(range(int(lo), int(hi) + 1))
            else:
                v = int(item)
                out.add(total + 1 + v if v < 0 else v)
        except ValueError:
            raise ValueError(f"bad layer spec {item!r}: use all, 0,2,4, 1-3 or -1") from None
    bad = sorted(v for v in out if not 0 <= v <= total)
    if bad or not out:
        raise ValueError(f"layers {bad or '(none)'} out of range: this model has layers 0..{total}")
    return sorted(out)
