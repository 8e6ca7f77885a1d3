"""A safe evaluator for arithmetic written by a model: numbers, + - * /, unary signs, parentheses
and names bound by the trace itself, in exact rational arithmetic.

Model text is never given to ``eval`` or ``sympify`` (which calls ``eval``). It is parsed with
``ast.parse`` and only a whitelist of node types is walked; anything else (calls, attributes,
powers, subscripts, tuples) makes the expression *uncheckable*, never executed. Sizes are bounded so
hostile input cannot hang the checker: the source length, the nesting depth, the digits of a
literal and the bit length of every intermediate result.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from fractions import Fraction

#: Longest expression text we try to parse (longer "expressions" are prose or hostile).
MAX_SOURCE = 400
#: Deepest parenthesis/operator nesting walked.
MAX_DEPTH = 60
#: Digits allowed in one literal.
MAX_LITERAL_DIGITS = 40
#: Bit length allowed for the numerator/denominator of any intermediate value.
MAX_BITS = 2048


class Uncheckable(ValueError):
    """The text is not an arithmetic expression we can evaluate (or it names unknown values)."""


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,3}")
_REPLACEMENTS = [
    (re.compile(r"\\(?:times|cdot)|[×·∗⋅]"), "*"),
    (re.compile(r"\\div|÷"), "/"),
    (re.compile(r"[−–]"), "-"),
    (re.compile(r"\\left|\\right|\$|\\[()\[\]]"), ""),
]
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d,]*\.\d)(?!\d)")


def normalise_expression(text: str) -> str:
    """Rewrite the common notations of arithmetic in prose and LaTeX into Python operators:
    ``×``/``\\times`` -> ``*``, ``÷`` -> ``/``, ``\\frac{a}{b}`` -> ``((a)/(b))``, ``1,000`` ->
    ``1000``, braces -> parentheses."""
    for pattern, repl in _REPLACEMENTS:
        text = pattern.sub(repl, text)
    for _ in range(8):  # nested fractions, innermost first
        new = _FRAC.sub(r"((\1)/(\2))", text)
        if new == text:
            break
        text = new
    text = text.replace("{", "(").replace("}", ")")
    return _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), text)


def _check_size(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise Uncheckable("value too large")
    return value


def _literal(node: ast.Constant) -> Fraction:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Uncheckable(f"not a number: {value!r}")
    if isinstance(value, int):
        if len(str(abs(value))) > MAX_LITERAL_DIGITS:
            raise Uncheckable("literal too long")
        return Fraction(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise Uncheckable("not a finite number")
    # repr of a float literal is its shortest round-trip decimal: 0.1 -> Fraction(1, 10) exactly.
    return _check_size(Fraction(repr(value)))


def _walk(node: ast.AST, env: Mapping[str, Fraction], depth: int) -> Fraction:
    if depth > MAX_DEPTH:
        raise Uncheckable("expression nested too deeply")
    if isinstance(node, ast.Constant):
        return _literal(node)
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise Uncheckable(f"undefined name {node.id!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _walk(node.operand, env, depth + 1)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left = _walk(node.left, env, depth + 1)
        right = _walk(node.right, env, depth + 1)
        if isinstance(node.op, ast.Add):
            return _check_size(left + right)
        if isinstance(node.op, ast.Sub):
            return _check_size(left - right)
        if isinstance(node.op, ast.Mult):
            return _check_size(left * right)
        if right == 0:
            raise Uncheckable("division by zero")
        return _check_size(left / right)
    raise Uncheckable(f"unsupported syntax: {type(node).__name__}")


def parse_expression(text: str) -> ast.Expression:
    """Parse ``text`` as one arithmetic expression of the whitelisted forms (no evaluation)."""
    src = text.strip()
    if not src or len(src) > MAX_SOURCE:
        raise Uncheckable("empty or too long")
    if src.count("(") > MAX_DEPTH:
        raise Uncheckable("too many parentheses")
    try:
        tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Uncheckable(f"not an expression: {exc.__class__.__name__}") from None
    _shape(tree.body, 0)
    return tree


def _shape(node: ast.AST, depth: int) -> None:
    """Reject any node outside the grammar before evaluating anything."""
    if depth > MAX_DEPTH:
        raise Uncheckable("expression nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise Uncheckable("not a number")
        return
    if isinstance(node, ast.Name):
        if not _NAME.fullmatch(node.id):
            raise Uncheckable(f"not a variable name: {node.id!r}")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _shape(node.operand, depth + 1)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        _shape(node.left, depth + 1)
        _shape(node.right, depth + 1)
        return
    raise Uncheckable(f"unsupported syntax: {type(node).__name__}")


def evaluate(text: str | ast.Expression, env: Mapping[str, Fraction] | None = None) -> Fraction:
    """Exact value of an arithmetic expression; raises :class:`Uncheckable` for anything else.

    >>> evaluate("(-9 - 5) * 2 / 4")
    Fraction(-7, 1)
    """
    if isinstance(text, ast.Expression):
        tree = text
    else:
        tree = parse_expression(normalise_expression(text))
    return _walk(tree.body, env or {}, 0)


def names_in(tree: ast.Expression) -> set[str]:
    """Variable names an expression uses."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
