"""The segment behaviour vocabulary (Venhoff et al. 2025), shared by the importers that read
labelled segments and the analyzers that predict them."""

from __future__ import annotations

#: Segment-level reasoning behaviours, in the order reports list them.
BEHAVIORS: tuple[str, ...] = (
    "initializing",
    "deduction",
    "adding-knowledge",
    "example-testing",
    "uncertainty-estimation",
    "backtracking",
)
