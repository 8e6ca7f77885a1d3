"""Analyzers: reasoning behaviours and step-level errors (``behaviors``, ``errors``), CoT
faithfulness (``faithfulness``), and the registry through which an analysis reaches the CLI,
``thinkscope run`` and the report (``ANALYSES``, ``register_analysis``)."""

from . import behaviors, errors
from ._registry import (
    ANALYSES,
    Analysis,
    AnalysisContext,
    AnalysisResult,
    NoParams,
    register_analysis,
    run_analysis,
    write_analysis,
)
from .faithfulness import _registered  # noqa: F401  (registers hints and paraphrase)

__all__ = [
    "ANALYSES",
    "Analysis",
    "AnalysisContext",
    "AnalysisResult",
    "NoParams",
    "behaviors",
    "errors",
    "register_analysis",
    "run_analysis",
    "write_analysis",
]
