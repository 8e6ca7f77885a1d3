"""Figures (matplotlib, drawn from saved tables) and the HTML report built from them."""

from ..figures import (
    behavior_rates_figure,
    error_rates_figure,
    filler_figure,
    importance_figure,
    mistake_position_figure,
    probe_heatmap_figure,
    trace_truncation_figure,
    truncation_curve_figure,
)
from ._html import StaleOutputsError, build_report
from ._metrics import collect_metrics
from ._page import write_page

__all__ = [
    "StaleOutputsError",
    "build_report",
    "collect_metrics",
    "behavior_rates_figure",
    "error_rates_figure",
    "filler_figure",
    "importance_figure",
    "mistake_position_figure",
    "probe_heatmap_figure",
    "trace_truncation_figure",
    "truncation_curve_figure",
    "write_page",
]
