"""Grade extracted answers against gold answers with math-verify.

math-verify enforces its parse/verify timeouts with ``signal.alarm``, which only works in a
process's main thread. ``grade`` therefore calls it directly on the main thread and, from any
other thread (a web server, a Ray actor's thread pool, an async runner), sends the work to a
process pool whose workers run tasks on their own main threads. ``grade_many`` always uses the
pool for big batches, which also spreads the sympy work over the cores.
"""

from __future__ import annotations

import atexit
import re
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import get_context

#: math-verify's own per-call timeouts (seconds), and the outer guard on a pooled call.
PARSE_TIMEOUT = 5
VERIFY_TIMEOUT = 5
POOL_TIMEOUT = 30.0

_pool: Executor | None = None
_pool_lock = threading.Lock()
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"^\(?([A-Za-z])\)?$")
# Plain words ("leg", "New York"): sympy would read them as products of symbols, so "leg" would
# equal "gel". Such answers are compared as normalised strings only.
_WORDS = re.compile(r"^[^\W\d_]{2,}(?:[\s'\-,]+[^\W\d_]+)*$")


def _normalise(s: str) -> str:
    return _SPACE.sub("", s).strip().rstrip(".").lower()


def _grade_direct(pred: str, gold: str) -> bool:
    """Compare two answer strings; runs math-verify in the current (main) thread."""
    if _normalise(pred) == _normalise(gold):
        return True
    lp, lg = _LETTER.match(pred.strip()), _LETTER.match(gold.strip())
    if lp and lg:  # multiple-choice letters: exact letter match only
        return lp.group(1).upper() == lg.group(1).upper()
    if _WORDS.match(pred.strip().rstrip(".")) or _WORDS.match(gold.strip().rstrip(".")):
        return False
    from math_verify import parse, verify

    gold_parsed = parse("\\boxed{" + gold + "}", parsing_timeout=PARSE_TIMEOUT)
    pred_parsed = parse("\\boxed{" + pred + "}", parsing_timeout=PARSE_TIMEOUT)
    if not gold_parsed or not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=VERIFY_TIMEOUT))


def _shutdown_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _get_pool() -> Executor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # "spawn": forking a process that has threads (tokenizers, torch) is unsafe.
            _pool = ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn"))
            atexit.register(_shutdown_pool)
        return _pool


def grade(pred: str | None, gold: str | None) -> bool | None:
    """True/False when both answers exist; ``None`` when there is no gold answer.

    A missing prediction ("no answer") against a gold answer is graded False.
    """
    if gold is None or not str(gold).strip():
        return None
    if pred is None or not str(pred).strip():
        return False
    if threading.current_thread() is threading.main_thread():
        return _grade_direct(pred, gold)
    try:
        return _get_pool().submit(_grade_direct, pred, gold).result(timeout=POOL_TIMEOUT)
    except FutureTimeout:
        return False


def same_answer(a: object, b: object) -> bool:
    """Whether two extracted answers are the same answer, by the equivalence grading uses
    (``$18`` is ``18``, ``00000000`` is ``0``); no answer is never the same as anything. Every
    "did the answer change" comparison (truncation, mistakes, paraphrase, hints, importance,
    steering) goes through here, never through string equality."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False  # no answer (None, or a missing value read back from a table as NaN)
    return a == b or bool(grade(a, b))


def grade_many(
    pairs: Sequence[tuple[str | None, str | None]], pool_threshold: int = 64
) -> list[bool | None]:
    """Grade many (pred, gold) pairs; uses the process pool for batches of ``pool_threshold``+."""
    if len(pairs) < pool_threshold:
        return [grade(p, g) for p, g in pairs]
    results: list[bool | None] = [None] * len(pairs)
    futures = {}
    pool = _get_pool()
    for i, (pred, gold) in enumerate(pairs):
        if gold is None or not str(gold).strip():
            results[i] = None
        elif pred is None or not str(pred).strip():
            results[i] = False
        else:
            futures[i] = pool.submit(_grade_direct, pred, gold)
    for i, fut in futures.items():
        try:
            results[i] = fut.result(timeout=POOL_TIMEOUT)
        except FutureTimeout:
            results[i] = False
    return results
