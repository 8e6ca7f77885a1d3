"""The main job: every analysis end to end on the shipped organisms (or one real model), ending
in an HTML report."""

from ._config import PlanError, check_plan, load_plan
from ._plan import AnalysisStep, Plan, ProbeSpec, TraceSet, organism_plan, real_plan
from ._run import Pipeline

__all__ = ["AnalysisStep", "Pipeline", "Plan", "PlanError", "ProbeSpec", "TraceSet",
           "check_plan", "load_plan", "organism_plan", "real_plan"]
