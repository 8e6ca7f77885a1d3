"""Importers (other tools' trace files -> Trace) and exporters (store -> JSONL / parquet).

The registry ``IMPORTERS`` is filled by the modules imported below, explicitly, when this package
is imported: no hidden initialisation call.
"""

from . import annotated, bbm, inspect_log, native, openai_chat, thought_anchors  # noqa: F401
from ._common import (
    IMPORTERS,
    BadRecord,
    FileSummary,
    ImporterSpec,
    ImportOptions,
    get_importer,
    guess_model_kind,
    register_importer,
)
from ._export import export_store
from ._import import AUTO_ORDER, ImportSummary, discover, import_data, import_paths
from .annotated import normalise_label, parse_annotated

__all__ = [
    "AUTO_ORDER",
    "IMPORTERS",
    "BadRecord",
    "FileSummary",
    "ImportOptions",
    "ImportSummary",
    "ImporterSpec",
    "discover",
    "export_store",
    "get_importer",
    "guess_model_kind",
    "import_data",
    "import_paths",
    "normalise_label",
    "parse_annotated",
    "register_importer",
]
