"""The store's journal: one checksummed JSON line per committed operation.

A line is ``{"op": "add", "shard": NAME, "n": N, "keys": [...], "ids": [...], "sha256": ...,
"crc": "xxxxxxxx"}`` (``sha256``: the shard file's, checked on every read)
where ``crc`` is the CRC-32 of the line's JSON without it. A line that does not parse or whose
checksum does not match is *corrupt*: it is reported with its line number, never silently
skipped, and its shard is not treated as an orphan to delete. Lines written by schema-1 stores
have no ``crc`` and are accepted as they are.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any


def encode_entry(entry: dict[str, Any]) -> bytes:
    """One journal line (with its checksum and the final newline)."""
    body = {k: v for k, v in entry.items() if k != "crc"}
    text = json.dumps(body, separators=(",", ":"))
    body["crc"] = f"{zlib.crc32(text.encode('utf-8')):08x}"
    return (json.dumps(body, separators=(",", ":")) + "\n").encode("utf-8")


def decode_entry(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(entry, None)`` for a good line, ``(None, what is wrong)`` for a corrupt one."""
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        return None, "not valid JSON"
    if not isinstance(entry, dict) or entry.get("op") not in ("add", "remove"):
        return None, "not a journal entry"
    crc = entry.pop("crc", None)
    if crc is not None:
        text = json.dumps(entry, separators=(",", ":"))
        if f"{zlib.crc32(text.encode('utf-8')):08x}" != crc:
            return None, "checksum mismatch"
    if not isinstance(entry.get("shard"), str):
        return None, "no shard name"
    if entry["op"] == "add" and not isinstance(entry.get("keys"), list):
        return None, "no key list"
    return entry, None


@dataclass
class JournalState:
    """The journal replayed: live shards with their keys (and trace ids when recorded), and
    the corrupt lines met on the way."""

    shards: dict[str, list[str]] = field(default_factory=dict)
    ids: dict[str, list[str] | None] = field(default_factory=dict)
    #: the shard file's SHA-256 as committed (None for lines written before it was recorded)
    sha: dict[str, str | None] = field(default_factory=dict)
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0

    def apply(self, raw: bytes) -> None:
        """Replay one complete line."""
        self.lines += 1
        if not raw.strip():
            return
        entry, problem = decode_entry(raw)
        if entry is None:
            self.corrupt.append((self.lines, problem or "corrupt"))
            return
        if entry["op"] == "add":
            self.shards[entry["shard"]] = [str(k) for k in entry["keys"]]
            ids = entry.get("ids")
            self.ids[entry["shard"]] = [str(i) for i in ids] if isinstance(ids, list) else None
            sha = entry.get("sha256")
            self.sha[entry["shard"]] = sha if isinstance(sha, str) else None
        else:
            self.shards.pop(entry["shard"], None)
            self.ids.pop(entry["shard"], None)
            self.sha.pop(entry["shard"], None)

    def copy(self) -> JournalState:
        return JournalState(dict(self.shards), dict(self.ids), dict(self.sha),
                            list(self.corrupt), self.lines)
