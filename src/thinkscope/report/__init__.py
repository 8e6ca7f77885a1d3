"""Figures (matplotlib, drawn from saved tables) and, later, the HTML report."""

from .figures import (
    behavior_rates_figure,
    error_rates_figure,
    filler_figure,
    importance_figure,
    mistake_position_figure,
    truncation_curve_figure,
)

__all__ = [
    "behavior_rates_figure",
    "error_rates_figure",
    "filler_figure",
    "importance_figure",
    "mistake_position_figure",
    "truncation_curve_figure",
]
