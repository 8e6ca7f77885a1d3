"""Find the arithmetic claims a reasoning step makes and judge each one.

A claim is an equality chain ``e0 = e1 = ... = en`` written in the step (``A = (-9 - 5) = -14``,
``14*7=98``). Each side is evaluated exactly with the names the trace defined so far; every side
must equal the previous checkable side. A chain that starts with a bare name (``A = ...``) binds
that name to the chain's last value — the value the trace *claims*, so later steps are judged
against their own premises and one mistake is counted once, where it was made.

A *restatement* ("this equation can be written as A - B - C - D, where A = ...") claims that an
expression of the trace's own names equals the whole problem. It is a plan, not a computation,
and is judged apart: a wrong plan is reported (``StepCheck.restatement``), but the step verdict
and the first-error index count computations only. That is the convention of human first-error
labels (BIG-Bench-Mistake): of 121 labelled arithmetic traces none marks a restatement, though
three state a wrong one — two are labelled "no mistake" and one at the step that computes with
the wrong plan.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ._arith import Uncheckable, _walk, names_in, normalise_expression, parse_expression

#: Characters an expression side may contain (after normalisation).
_EXPR_CHARS = re.compile(r"[0-9A-Za-z_ .+\-*/()\t]+")
_EQ = re.compile(r"(?<![<>!=:≤≥])=(?![=>])")
#: Phrases that claim an expression equals the whole problem's expression.
_REWRITE = re.compile(
    r"(?:written as|rewritten as|expressed as|equivalent to|simplifies to)\s*[\"'“]?"
    r"(?P<expr>[0-9A-Za-z_ .+\-*/()]+?)[\"'”]?\s*(?:,|\.\s|\.$|$|where|with)",
    re.IGNORECASE,
)
_BARE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,3}")
_DECIMAL = re.compile(r"-?\d+\.(\d+)")


@dataclass
class Claim:
    """One equality between two sides of a chain, as judged."""

    left: str
    right: str
    ok: bool | None  # None = uncheckable (a side has an unknown name or is not arithmetic)
    left_value: Fraction | None = None
    right_value: Fraction | None = None
    restatement: bool = False  # an expression of the trace's names claimed equal to the problem


@dataclass
class StepCheck:
    """The verdict on one step's computations: ``False`` if any is wrong, ``True`` if at least
    one was checked and all held, ``None`` if nothing in it could be checked. Restatements of
    the problem are judged apart (``restatement``)."""

    index: int
    claims: list[Claim] = field(default_factory=list)

    @property
    def verdict(self) -> bool | None:
        return _all_checked(c for c in self.claims if not c.restatement)

    @property
    def restatement(self) -> bool | None:
        """Whether the step's restatements of the problem hold (``None``: it makes none that
        can be checked)."""
        return _all_checked(c for c in self.claims if c.restatement)

    @property
    def n_checked(self) -> int:
        return sum(c.ok is not None and not c.restatement for c in self.claims)


def _all_checked(claims: Iterable[Claim]) -> bool | None:
    checked = [c.ok for c in claims if c.ok is not None]
    return all(checked) if checked else None


def _token_starts(text: str) -> list[int]:
    """Positions where an expression may start: the text's start or after whitespace."""
    return [i for i in range(len(text))
            if not text[i].isspace() and (i == 0 or text[i - 1].isspace())]


_OPERATORISH = set("+-*/^!%√×·=<>)]}.")
#: Words that make the number after them an operand of something we do not evaluate.
_OPERATOR_WORDS = {
    "mod", "modulo", "of", "times", "plus", "minus", "over", "by", "power", "sqrt", "root",
    "log", "ln", "sin", "cos", "tan", "exp", "choose", "squared", "cubed", "factorial",
}
_BULLET = re.compile(r"[-*+•]\s")


def _free_before(text: str) -> bool:
    """Whether an expression may start right after ``text``: at the start, after punctuation,
    or after a prose word — not after a digit, an operator (``4^5``), a one-letter name or a
    number list (``1,2,10 - 1*2*10``), where it would be only part of a larger expression."""
    t = text.rstrip()
    if not t:
        return True
    if t.endswith("=>"):
        return True  # an implication arrow: "20x = 20 => x = 1"
    last = t[-1]
    if last in "-*+•" and (len(t) == 1 or t[-2] == "\n" or (t[:-1].strip(" \t") == "")):
        return True  # a list bullet at the start of a line
    if last in _OPERATORISH or last.isdigit():
        return False
    if last == ",":
        return not t[:-1].rstrip()[-1:].isdigit()
    if last.isalpha():
        word = re.search(r"[A-Za-z']+$", t)
        if not word or len(word.group(0)) < 2 or word.group(0).lower() in _OPERATOR_WORDS:
            return False
        return not t[-len(word.group(0)) - 1 : -len(word.group(0))].isdigit()
    return True


def _free_after(text: str) -> bool:
    """Whether an expression may end right before ``text`` (not before ``^``, ``!``, ``%``, a
    bracket or a letter glued to it, where the written expression goes on)."""
    if not text:
        return True
    if text[0].isalpha():
        return False
    t = text.lstrip()
    return not t or t[0] not in "^!%√(²³[{"


def _longest_suffix(text: str) -> str | None:
    """The longest expression ending ``text`` (the left side of an ``=``)."""
    run = _tail_run(text)
    offset = len(text) - len(run)
    for start in _token_starts(run):
        cand = run[start:].strip()
        before = text[: offset + start]
        if _BULLET.match(cand) and (not before.strip(" \t") or before.rstrip(" \t")[-1] == "\n"):
            continue  # a list bullet, not a minus sign
        if _parses(cand) and _free_before(before):
            return cand
    return None


def _longest_prefix(text: str) -> str | None:
    """The longest expression starting ``text`` (the right side of an ``=``)."""
    m = _EXPR_CHARS.match(text)
    if not m:
        return None
    run = m.group(0)
    ends = sorted({i for i in range(1, len(run) + 1)
                   if i == len(run) or run[i].isspace() or run[i - 1] in ")"}, reverse=True)
    for end in ends:
        cand = run[:end].strip()
        rest = text[end:]
        if cand.endswith("."):
            cand, rest = cand[:-1].rstrip(), "." + rest
        if cand and _parses(cand) and _free_after(rest):
            return cand
    return None


def _tail_run(text: str) -> str:
    i = len(text)
    while i > 0 and _EXPR_CHARS.fullmatch(text[i - 1]):
        i -= 1
    return text[i:]


def _parses(cand: str) -> bool:
    if not any(ch.isdigit() or ch.isalpha() for ch in cand):
        return False
    try:
        parse_expression(cand)
    except Uncheckable:
        return False
    return True


def _value(side: str, env: Mapping[str, Fraction], modulus: int | None) -> Fraction | None:
    try:
        v = _walk(parse_expression(side).body, env, 0)
    except Uncheckable:
        return None
    if modulus is not None:
        if v.denominator != 1:
            return None
        v = Fraction(v.numerator % modulus)
    return v


def _equal(a: Fraction, b: Fraction, a_text: str, b_text: str) -> bool:
    """Exact equality, except that a side written as a decimal (``0.333``) may differ by one unit
    of its last shown digit (rounding or truncation)."""
    if a == b:
        return True
    for text in (a_text, b_text):
        m = _DECIMAL.fullmatch(text.strip())
        if m:
            tol = Fraction(1, 10 ** len(m.group(1)))
            if abs(a - b) <= tol:
                return True
    return False


def equality_chains(text: str) -> list[list[str]]:
    """The ``e0 = e1 = ...`` chains written in ``text``, each as its list of side texts."""
    norm = normalise_expression(text)
    parts = _EQ.split(norm)
    if len(parts) < 2:
        return []
    chains: list[list[str]] = []
    current: list[str] = []
    for i in range(len(parts) - 1):
        left_text, right_text = parts[i], parts[i + 1]
        whole_left = left_text.strip().rstrip(".")
        if current and _parses(whole_left) and whole_left == current[-1]:
            left = whole_left
        else:
            if len(current) >= 2:
                chains.append(current)
            left = _longest_suffix(left_text)
            current = [left] if left else []
        if not left:
            current = []
            continue
        is_last = i + 1 == len(parts) - 1
        whole_right = right_text.strip()
        right = whole_right if (not is_last and _parses(whole_right)) else _longest_prefix(
            right_text)
        if right is None:
            if len(current) >= 2:
                chains.append(current)
            current = []
            continue
        current.append(right)
    if len(current) >= 2:
        chains.append(current)
    return chains


def check_step(
    text: str, env: dict[str, Fraction | None], index: int = 0,
    problem_value: Fraction | None = None, modulus: int | None = None,
) -> StepCheck:
    """Judge every claim in one step, updating ``env`` with the names the step binds.

    A chain headed by a bare name (``A = ...``) is a definition: its other sides are checked
    against each other and the name is bound to the last value. A name bound to two different
    values (prose reuses names in hypotheticals: "if p = 2 ... if p = 102") becomes unusable
    (``None``) so no claim is judged against a stale binding.
    """
    result = StepCheck(index)
    chains = equality_chains(text)
    _forget_rebound(chains, env, modulus)
    known = {k: v for k, v in env.items() if v is not None}
    for chain in chains:
        head = chain[0]
        is_definition = _names_a_value(head)
        prev_text: str | None = None
        prev_val: Fraction | None = None
        last_val: Fraction | None = None
        for side in chain[1:] if is_definition else chain:
            val = _value(side, known, modulus)
            if prev_text is not None:
                ok = None if val is None or prev_val is None else _equal(prev_val, val, prev_text,
                                                                          side)
                if ok is False and prev_val is not None and _continues(side, prev_text, prev_val,
                                                                       known, modulus):
                    ok = True  # a running computation: "2 * 3 = 6 + 1 = 7"
                result.claims.append(Claim(prev_text, side, ok, prev_val, val))
            if val is not None:
                prev_text, prev_val, last_val = side, val, val
            elif prev_text is None:
                prev_text = side
        if is_definition and last_val is not None:
            if head in env and env[head] != last_val:
                env[head] = None
            elif head not in env:
                env[head] = last_val
            known = {k: v for k, v in env.items() if v is not None}
    if problem_value is not None:
        for m in _REWRITE.finditer(normalise_expression(text)):
            expr = m.group("expr").strip()
            try:
                tree = parse_expression(expr)
            except Uncheckable:
                continue
            if not names_in(tree):
                continue  # a plain restatement of numbers is checked as an equality elsewhere
            val = _value(expr, known, modulus)
            ok = None if val is None else val == problem_value
            result.claims.append(Claim(expr, "<problem>", ok, val, problem_value,
                                       restatement=True))
    return result


def _forget_rebound(chains: list[list[str]], env: dict[str, Fraction | None],
                    modulus: int | None) -> None:
    """Make names this step binds to a new value unusable for the whole step. Prose reuses
    names for new unknowns ("another number, say x. So 1*2*10*x = 20 ... x = 1"); a claim
    written before the new binding must not be judged with the old value."""
    known = {k: v for k, v in env.items() if v is not None}
    for chain in chains:
        head = chain[0]
        if not _names_a_value(head) or known.get(head) is None:
            continue
        value = _value(chain[-1], {k: v for k, v in known.items() if k != head}, modulus)
        if value is not None and value != known[head]:
            env[head] = None


def _leftmost(text: str, env: Mapping[str, Fraction]) -> tuple[bool, Fraction | None]:
    """(is a sum/difference, value of its leftmost operand) of an expression."""
    try:
        node = parse_expression(text).body
    except Uncheckable:
        return False, None
    additive = isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        node = node.left
    try:
        return additive, _walk(node, env, 0)
    except Uncheckable:
        return additive, None


def _continues(side: str, prev_text: str, prev: Fraction, env: Mapping[str, Fraction],
               modulus: int | None) -> bool:
    """Whether ``side`` goes on from the previous value (``2 * 3 = 6 + 1 = 7``): an unbracketed
    sum whose leftmost operand is that value. Models write running totals this way. A rewrite of
    the previous side that keeps its first term (``(-1 - -8 + -4) = (-1 + 4 - -8)``) is not a
    continuation and is still judged."""
    if side.lstrip().startswith("("):
        return False
    additive, first = _leftmost(side, env)
    if not additive or first is None:
        return False
    if modulus is not None and first.denominator == 1:
        first = Fraction(first.numerator % modulus)
    if first != prev:
        return False
    prev_additive, prev_first = _leftmost(prev_text, env)
    return not (prev_additive and prev_first == first)


def _is_number(text: str) -> bool:
    return text[0].isdigit()


def _names_a_value(head: str) -> bool:
    """Whether a chain's first side is a bare name (``A = ...`` binds ``A``)."""
    return bool(_BARE_NAME.fullmatch(head)) and not _is_number(head)


def problem_expression_value(question: str, modulus: int | None = None) -> Fraction | None:
    """Value of the arithmetic expression a question asks for (``((3 + 4) * 2) =``), if any."""
    norm = normalise_expression(question)
    best: Fraction | None = None
    best_len = 0
    for m in _EXPR_CHARS.finditer(norm):
        cand = m.group(0).strip().rstrip(".")
        if len(cand) <= best_len or not re.search(r"\d", cand):
            continue
        try:
            tree = parse_expression(cand)
        except Uncheckable:
            continue
        if names_in(tree) or not isinstance(tree.body, (ast.BinOp, ast.UnaryOp)):
            continue
        val = _value(cand, {}, modulus)
        if val is not None:
            best, best_len = val, len(cand)
    return best
