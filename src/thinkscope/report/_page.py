"""A small one-page report for analysis recipes (``analyses/``): headings with figures, JSON
results or text, in the report's style and with the same escaping of every string."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ._html import CSS, _img


def write_page(out: str | Path, title: str, sections: list[tuple[str, Any]]) -> Path:
    """Write ``OUT/report.html``: each section is (heading, content) where content is a PNG
    path, a dict or list (shown as JSON) or text."""
    out = Path(out)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if isinstance(content, Path) and content.suffix == ".png":
            parts.append(f"<figure>{_img(content, heading)}</figure>")
        elif isinstance(content, (dict, list)):
            parts.append(f"<pre>{html.escape(json.dumps(content, indent=2, default=str))}</pre>")
        else:
            parts.append(f"<p>{html.escape(str(content))}</p>")
    page = out / "report.html"
    page.write_text("<!doctype html><html lang=en><head><meta charset='utf-8'><title>" +
                    html.escape(title) + f"</title><style>{CSS}</style></head><body>" +
                    "\n".join(parts) + "</body></html>")
    return page
