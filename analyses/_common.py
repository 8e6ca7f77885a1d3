"""Shared plumbing of the analysis recipes: import a data path into a fresh store under OUT,
and write a small self-contained HTML page of numbers and figures."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from thinkscope.traces import TraceStore
from thinkscope.traces.io import import_paths


def import_data(data: str | Path, out: Path, fmt: str = "auto") -> TraceStore:
    """Import ``data`` (a file or folder) into ``OUT/store`` (idempotent: reruns add nothing)."""
    store = TraceStore(out / "store", create=True)
    summary = import_paths([data], store, fmt=fmt, progress=False)
    print(f"imported {summary.imported} traces ({summary.duplicates} already stored, "
          f"{summary.bad} bad records quarantined) from {data}")
    return store


def write_page(out: Path, title: str, sections: list[tuple[str, Any]]) -> Path:
    """A one-page HTML report: each section is (heading, content) where content is a PNG path,
    a dict (shown as JSON) or text; all text is escaped."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if isinstance(content, Path) and content.suffix == ".png":
            data = base64.b64encode(content.read_bytes()).decode()
            parts.append(f'<img alt="{html.escape(heading)}" src="data:image/png;base64,{data}">')
        elif isinstance(content, (dict, list)):
            parts.append(f"<pre>{html.escape(json.dumps(content, indent=2))}</pre>")
        else:
            parts.append(f"<p>{html.escape(str(content))}</p>")
    page = out / "report.html"
    page.write_text("<!doctype html><meta charset='utf-8'><title>" + html.escape(title) +
                    "</title><body style='font-family:sans-serif;max-width:1100px'>" +
                    "\n".join(parts) + "</body>")
    return page
