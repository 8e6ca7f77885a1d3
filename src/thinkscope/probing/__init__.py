"""Linear probes on hidden states, with the controls that keep them honest: problem-grouped
folds, control tasks and selectivity, shuffled labels, majority / layer-0 / random-init /
text-only baselines, masking of positions where the text states the target, and a causal check
against random directions."""

from ._evaluate import (
    control_labels,
    convergence_summary,
    evaluate_probe,
    grouped_folds,
    majority_predict,
    oof_predict,
    score,
    shuffled_labels,
)
from ._persist import load_probe, save_probe
from ._probes import PROBES, LogisticProbe, MassMeanProbe, make_probe
from ._run import save_best_probes, write_probe_results
from ._steer import residual_norm, steer
from ._targets import TARGET_NAMES, Target, get_target, target_table
from ._text import text_baseline, visible_text
from ._train import probe_rows, summarize_probes, train_probes

__all__ = [
    "PROBES",
    "TARGET_NAMES",
    "LogisticProbe",
    "MassMeanProbe",
    "Target",
    "control_labels",
    "convergence_summary",
    "evaluate_probe",
    "get_target",
    "grouped_folds",
    "load_probe",
    "majority_predict",
    "make_probe",
    "oof_predict",
    "probe_rows",
    "residual_norm",
    "save_best_probes",
    "save_probe",
    "score",
    "shuffled_labels",
    "steer",
    "summarize_probes",
    "target_table",
    "text_baseline",
    "train_probes",
    "visible_text",
    "write_probe_results",
]
