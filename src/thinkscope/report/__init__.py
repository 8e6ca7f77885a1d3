"""Figures (matplotlib, drawn from saved tables) and the interactive HTML report built from
them: key findings, a sortable / filterable summary table, figures and a trace browser."""

from ..figures import (
    behavior_rates_figure,
    error_rates_figure,
    filler_figure,
    importance_figure,
    mistake_position_figure,
    probe_heatmap_figure,
    steering_figure,
    trace_truncation_figure,
    truncation_curve_figure,
)
from ._browser import browser_data
from ._findings import findings
from ._html import StaleOutputsError, build_report
from ._metrics import collect_metrics, fold_baselines
from ._page import write_page

__all__ = [
    "StaleOutputsError",
    "build_report",
    "browser_data",
    "collect_metrics",
    "findings",
    "fold_baselines",
    "behavior_rates_figure",
    "error_rates_figure",
    "filler_figure",
    "importance_figure",
    "mistake_position_figure",
    "probe_heatmap_figure",
    "steering_figure",
    "trace_truncation_figure",
    "truncation_curve_figure",
    "write_page",
]
