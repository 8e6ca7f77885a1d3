"""The main job: every analysis end to end on the shipped organisms (or one real model), ending
in an HTML report; and the transmission experiment end to end (``run_transmission``)."""

from ._config import PlanError, check_plan, load_plan
from ._plan import AnalysisStep, Plan, ProbeSpec, TraceSet, organism_plan, real_plan
from ._run import Pipeline
from ._transmission import run_transmission

__all__ = ["AnalysisStep", "Pipeline", "Plan", "PlanError", "ProbeSpec", "TraceSet",
           "check_plan", "load_plan", "organism_plan", "real_plan", "run_transmission"]
