"""Analyzers: reasoning behaviours and step-level errors (``behaviors``, ``errors``), CoT
faithfulness (``faithfulness``), and the registry through which an analysis reaches the CLI,
``thinkscope run`` and the report (``ANALYSES``, ``register_analysis``)."""

from . import behaviors, errors, longitudinal, transmission
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

# the built-in analyses register in report order, then hints and paraphrase
from .behaviors import _registered as _behaviors  # noqa: F401
from .errors import _registered as _errors  # noqa: F401
from .faithfulness import _builtin, _registered  # noqa: F401
from .longitudinal import _registered as _longitudinal  # noqa: F401
from .transmission import _registered as _transmission  # noqa: F401

__all__ = [
    "ANALYSES",
    "Analysis",
    "AnalysisContext",
    "AnalysisResult",
    "NoParams",
    "behaviors",
    "errors",
    "longitudinal",
    "register_analysis",
    "run_analysis",
    "transmission",
    "write_analysis",
]
