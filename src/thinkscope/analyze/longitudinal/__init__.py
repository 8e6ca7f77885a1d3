"""Measurements along training: every checkpoint of a run, the same metrics, one table."""

from ._run import (
    LABELS,
    METRICS,
    Checkpoint,
    checkpoint_step,
    group_checkpoints,
    longitudinal_table,
    measure_checkpoint,
    summarize_longitudinal,
)

__all__ = ["LABELS", "METRICS", "Checkpoint", "checkpoint_step", "group_checkpoints",
           "longitudinal_table", "measure_checkpoint", "summarize_longitudinal"]
