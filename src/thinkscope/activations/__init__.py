"""Activations of stored traces: a hooked teacher-forced forward, saved as fp16 safetensors
shards with a metadata table (one row per saved position)."""

from ._extract import extract_activations, random_init_like
from ._layers import COMPONENTS, component_module, find_blocks, n_layers, parse_layers
from ._positions import POSITION_RULES, Position, parse_rules, select_positions
from ._store import ActivationSet, Manifest, read_manifest, tensor_name
from ._tokens import TraceTokens, char_ends, tokens_covering, trace_tokens

__all__ = [
    "COMPONENTS",
    "POSITION_RULES",
    "ActivationSet",
    "Manifest",
    "Position",
    "TraceTokens",
    "char_ends",
    "tokens_covering",
    "component_module",
    "extract_activations",
    "find_blocks",
    "n_layers",
    "parse_layers",
    "parse_rules",
    "random_init_like",
    "read_manifest",
    "select_positions",
    "tensor_name",
    "trace_tokens",
]
