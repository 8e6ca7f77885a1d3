"""Helpers shared by the chat-shaped importers (OpenAI-compatible completions, inspect logs)."""

from __future__ import annotations

from typing import Any

from .._schema import Message


def content_text(content: Any) -> tuple[str, str]:
    """``(text, reasoning)`` of a message content that is a string or a list of parts.

    Parts of type ``reasoning``/``thinking`` (inspect_ai, Anthropic-style) go to reasoning; text
    parts to text; other parts (images, tool calls) are left out.
    """
    if content is None:
        return "", ""
    if isinstance(content, str):
        return content, ""
    texts: list[str] = []
    reasons: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                texts.append(part)
                continue
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind in ("reasoning", "thinking"):
                value = part.get("reasoning") or part.get("thinking") or part.get("text") or ""
                if part.get("redacted"):
                    value = ""
                reasons.append(str(value))
            elif kind in ("text", None) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "\n".join(texts), "\n\n".join(r for r in reasons if r)


def to_messages(raw: Any) -> list[Message]:
    """Chat messages from a list of ``{role, content}`` dicts (content flattened to text)."""
    out: list[Message] = []
    if isinstance(raw, str):
        return [Message(role="user", content=raw)]
    if not isinstance(raw, list):
        return out
    for m in raw:
        if isinstance(m, dict) and isinstance(m.get("role"), str):
            text, _ = content_text(m.get("content"))
            out.append(Message(role=m["role"], content=text))
    return out


def last_user(messages: list[Message]) -> str | None:
    for m in reversed(messages):
        if m.role == "user":
            return m.content
    return None
