"""Find LaTeX math spans so sentence splitting never cuts inside a formula.

A small scanner rather than one regex: ``\\boxed{}`` needs balanced braces, escaped dollars
(``\\$``) are not delimiters, and an unclosed delimiter must not swallow the rest of the text.
"""

from __future__ import annotations

import re

# Opening delimiter -> closing delimiter, longest first so "$$" wins over "$".
_PAIRS: list[tuple[str, str]] = [("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")]
_BRACED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ENV = re.compile(r"\\begin\{([a-zA-Z*]+)\}")
#: Unclosed inline math longer than this is treated as a stray "$" (e.g. prices), not math.
MAX_INLINE = 2000


def matching_brace(text: str, open_idx: int) -> int:
    """Index just past the brace that closes ``text[open_idx] == '{'``, or -1 if unbalanced."""
    depth = 0
    i = open_idx
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _escaped(text: str, idx: int) -> bool:
    """True when the character at idx is preceded by an odd number of backslashes."""
    k = idx - 1
    n = 0
    while k >= 0 and text[k] == "\\":
        n += 1
        k -= 1
    return n % 2 == 1


def find_math_spans(text: str) -> list[tuple[int, int]]:
    """Non-overlapping ``(start, end)`` spans of math in ``text``, in order.

    Recognises ``$..$``, ``$$..$$``, ``\\[..\\]``, ``\\(..\\)``, ``\\begin{env}..\\end{env}`` and
    ``\\boxed{..}`` / ``\\fbox{..}`` with balanced braces.
    """
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c not in "$\\":
            i += 1
            continue
        if c == "\\":
            m = _BRACED.match(text, i)
            if m:
                end = matching_brace(text, m.end() - 1)
                if end != -1:
                    spans.append((i, end))
                    i = end
                    continue
            m = _ENV.match(text, i)
            if m:
                close = f"\\end{{{m.group(1)}}}"
                j = text.find(close, m.end())
                if j != -1:
                    spans.append((i, j + len(close)))
                    i = j + len(close)
                    continue
        matched = False
        for opener, closer in _PAIRS:
            if not text.startswith(opener, i):
                continue
            if opener.startswith("$") and _escaped(text, i):
                break
            j = i + len(opener)
            while True:
                j = text.find(closer, j)
                if j == -1 or not (closer.startswith("$") and _escaped(text, j)):
                    break
                j += 1
            if j == -1 or (opener == "$" and j - i > MAX_INLINE):
                break  # unclosed: not math
            if opener == "$" and j == i + 1:
                break  # "$$" handled above; an empty "$$" pair is not math
            spans.append((i, j + len(closer)))
            i = j + len(closer)
            matched = True
            break
        if not matched:
            i += 1
    return spans


def mask_spans(text: str, spans: list[tuple[int, int]], fill: str = "M") -> str:
    """Replace each span's characters by ``fill``, preserving every offset.

    Newlines inside a span are masked too, so a blank line inside display math is not taken
    for a paragraph break.
    """
    if not spans:
        return text
    out: list[str] = []
    prev = 0
    for start, end in spans:
        out.append(text[prev:start])
        out.append(fill * (end - start))
        prev = end
    out.append(text[prev:])
    return "".join(out)
