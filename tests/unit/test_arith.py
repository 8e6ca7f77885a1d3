"""The safe arithmetic evaluator and claim checker: right on true/false chains, inert and fast on
hostile input."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from thinkscope.analyze.errors import (
    Uncheckable,
    check_step,
    check_steps,
    equality_chains,
    evaluate,
)


@pytest.mark.parametrize(("text", "value"), [
    ("(-9 - 5 - 0)", Fraction(-14)),
    ("-(-3) - -4", Fraction(7)),
    ("((3 * 4 * 5) * (7 - -7 * 4))", Fraction(2100)),
    ("7 / 2", Fraction(7, 2)),
    ("0.1 + 0.2", Fraction(3, 10)),
    ("1,000 × 3", Fraction(3000)),
    ("\\frac{1}{3} \\cdot 6", Fraction(2)),
    ("+5", Fraction(5)),
])
def test_evaluate_exact(text: str, value: Fraction) -> None:
    assert evaluate(text) == value


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo pwned')",
    "open('/etc/passwd')",
    "(1).__class__",
    "[1, 2][0]",
    "9**9**9**9",
    "2 ** 100000",
    "lambda: 1",
    "x if 1 else 2",
    "1, 2",
    "'12'",
    "(" * 200 + "1" + ")" * 200,
    "1" * 5000,
    "5 / 0",
    "True + 1",
])
def test_hostile_or_unsupported_input_is_uncheckable_and_fast(text: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(Uncheckable):
        evaluate(text)
    assert time.perf_counter() - t0 < 0.5


def test_huge_intermediate_values_are_refused() -> None:
    with pytest.raises(Uncheckable, match="too large"):
        evaluate("A * A * A", {"A": Fraction(10**300)})


def test_undefined_names_are_uncheckable_not_errors() -> None:
    with pytest.raises(Uncheckable, match="undefined"):
        evaluate("A + 1")
    assert evaluate("A + 1", {"A": Fraction(2)}) == 3
    res = check_step("So z = y + 3 = 10.", {})
    assert res.verdict is None  # y is not known: nothing can be judged


def test_chains_are_found_in_prose() -> None:
    assert equality_chains("Let's calculate A = (-9 - 5 - 0) = (-9 - 5) = -14.") == [
        ["A", "(-9 - 5 - 0)", "(-9 - 5)", "-14"]]
    assert equality_chains("so 14*7=98, and then") == [["14*7", "98"]]
    assert equality_chains("no equation here (1 + 2)") == []


@pytest.mark.parametrize(("text", "verdict"), [
    ("(-9 - 5 - 0) = (-9 - 5) = -14.", True),
    ("(-9 - 5 - 0) = (-9 - 5) = -15.", False),
    ("14*7=98", True),
    ("14*7=96", False),
    ("((2 + 3) * (4 - -1)) = (5 * 5) = 25", True),
    ("((2 + 3) * (4 - -1)) = (5 * 3) = 15", False),
    ("12 / 4 = 3", True),
    ("1/3 = 0.333", True),  # a rounded decimal is allowed its shown precision
    ("1/3 = 0.5", False),
    ("- 87 + 170 = 257", True),  # a list bullet, not a minus sign
    ("4^5 = 1024", None),  # powers are not evaluated, and 5 alone is not the left side
    ("3 mod 3 = 0", None),
    ("R(2)=2 + 4 - 2=4", True),
    ("9 * 3 = 27 + 1 = 28, write 8", True),  # a running total, written the way models do
    ("9 * 3 = 28 + 1 = 29, write 9", False),
    ("3 + 4 = 7 + 5 = 12", True),
    ("(-1 - -8 + (-4)) = (-1 + 4 - -8) = 11", False),
    ("(-9 - 5 - 0) = (-9 - 4) = -13", False),  # R(2) is not arithmetic; the rest of the chain is
])
def test_step_verdicts(text: str, verdict: bool | None) -> None:
    assert check_step(text, {}).verdict is verdict


def test_variables_defined_by_the_trace_are_used() -> None:
    steps = [
        'This equation can be written as "A - B", where A = (2 + 3) and B = (4 * 2).',
        "Let's calculate A = (2 + 3) = 5.",
        "Let's calculate B = (4 * 2) = 8.",
        "Then A - B = 5 - 8 = -3. So the answer is -3",
    ]
    right = check_steps(steps, "((2 + 3) - (4 * 2)) =")
    assert right.verdicts == [None, True, True, True]  # step 0 is a plan, not a computation
    assert right.checks[0].restatement is True
    wrong_template = ['This equation can be written as "A + B", where A = (2 + 3) and B = (4 * 2).'
                      ] + steps[1:]
    res = check_steps(wrong_template, "((2 + 3) - (4 * 2)) =")
    # a wrong plan is reported apart; the computations that follow it are all right
    assert res.first_restatement_error == 0
    assert res.first_error is None
    assert res.verdicts[0] is None  # a restatement is not a computation
    assert right.first_restatement_error is None
    wrong_use = steps[:3] + ["Then A - B = 5 - 7 = -2. So the answer is -2"]
    assert check_steps(wrong_use, "((2 + 3) - (4 * 2)) =").first_error == 3


def test_a_name_rebound_to_another_value_is_not_used() -> None:
    steps = ["If p = 2, then q = 102.", "If p = 102, then q = 2.", "So p + q = 104."]
    res = check_steps(steps)
    assert res.verdicts[2] is None  # p is ambiguous now


def test_a_name_the_step_rebinds_is_not_judged_with_its_old_value() -> None:
    # prose reuses a name for a new unknown; "=>" is read as an arrow, so "x=1" binds x anew
    steps = ["Let x = 7.", "7 + x = 14",
             "Another number, say x. So, 1*2*10*x=20, so 20x=20 => x=1.", "x + 1 = 2"]
    assert check_steps(steps).verdicts == [None, True, None, None]
    # the same claim with x still 7 is judged (and wrong)
    assert check_steps(["Let x = 7.", "So, 1*2*10*x=20."]).verdicts == [None, False]
    assert check_steps(["Let x = 7.", "So 2*x = 14 => x = 7."]).verdicts == [None, True]


def test_a_number_a_cut_trace_ends_on_is_not_judged() -> None:
    steps = ["109,824 / 8 = 13,728", "Divide by 16: 13,728 / 16 = 85"]  # cut inside 858
    assert check_steps(steps).first_error == 1
    cut = check_steps(steps, truncated=True)
    assert cut.verdicts == [True, None] and cut.first_error is None
    # only the number the text ends on is dropped: an earlier wrong claim in that step counts
    assert check_steps(["2 + 2 = 5, and 13,728 / 16 = 85"], truncated=True).first_error == 0


def test_modular_claims_use_the_question_modulus() -> None:
    q = "start 4, +7, *3, -5 (mod 10)"
    assert check_steps(["4+7=1", "1*3=3", "3-5=8"], q).verdicts == [True, True, True]
    assert check_steps(["4+7=1", "1*3=4", "4-5=9"], q).first_error == 1


def test_a_trace_counts_as_maybe_cut_only_when_its_end_is_unknown_or_the_limit() -> None:
    from thinkscope.analyze.errors._run import _maybe_cut
    from thinkscope.traces import ModelInfo, Prompt, Trace

    def trace(finish: str | None, answer: str) -> Trace:
        return Trace(problem_id="p", corpus="c", model=ModelInfo(id="m"), prompt=Prompt(),
                     reasoning="13,728 / 16 = 85", answer=answer, finish_reason=finish)

    assert _maybe_cut(trace("length", "858"))
    assert _maybe_cut(trace(None, ""))  # an imported file that does not say how it ended
    assert not _maybe_cut(trace(None, "The answer is 858."))
    assert not _maybe_cut(trace("stop", ""))  # it stopped by itself, with no answer
