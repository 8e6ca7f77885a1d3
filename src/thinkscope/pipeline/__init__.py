"""The main job: every analysis end to end on the shipped organisms (or one real model), ending
in an HTML report."""

from ._plan import AnalysisStep, Plan, ProbeSpec, TraceSet, organism_plan, real_plan
from ._run import Pipeline

__all__ = ["AnalysisStep", "Pipeline", "Plan", "ProbeSpec", "TraceSet", "organism_plan",
           "real_plan"]
