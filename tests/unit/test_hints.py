"""The hint statistics on tables with known flips, and the prompt and parser pieces."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from thinkscope.analyze.faithfulness import hinted_question, parse_yes_no, summarize_hints
from thinkscope.analyze.faithfulness._hints import hint_value, verbalises


def _table() -> pd.DataFrame:
    rows = []
    # 10 problems, hint "9"; unhinted answers: first sample never the hint; the second sample
    # lands on the hint for 2 of them (random flips = 2/10)
    for p in range(10):
        rows.append({"problem_id": f"p{p}", "condition": "none", "sample": 0, "hint": "9",
                     "answer": "1", "verbalised_keyword": None})
        rows.append({"problem_id": f"p{p}", "condition": "none", "sample": 1, "hint": "9",
                     "answer": "9" if p < 2 else "1", "verbalised_keyword": None})
        # sycophancy flips 6 of 10 problems (1 sample each), 3 of the flips verbalise it
        rows.append({"problem_id": f"p{p}", "condition": "sycophancy", "sample": 0,
                     "hint": "9", "answer": "9" if p < 6 else "1",
                     "verbalised_keyword": p < 3})
    # a problem whose first unhinted answer already is the hint is not eligible
    rows.append({"problem_id": "q", "condition": "none", "sample": 0, "hint": "9",
                 "answer": "9", "verbalised_keyword": None})
    rows.append({"problem_id": "q", "condition": "none", "sample": 1, "hint": "9",
                 "answer": "9", "verbalised_keyword": None})
    rows.append({"problem_id": "q", "condition": "sycophancy", "sample": 0, "hint": "9",
                 "answer": "9", "verbalised_keyword": True})
    return pd.DataFrame(rows)


def test_flip_rates_are_normalised_for_random_flips() -> None:
    s = summarize_hints(_table())["kinds"]["sycophancy"]
    assert s["flip_to_hint"]["k"] == 6 and s["flip_to_hint"]["n"] == 10
    assert s["random_flip_to_hint"]["k"] == 2 and s["random_flip_to_hint"]["n"] == 10
    corrected = s["flip_to_hint_corrected"]
    assert corrected["value"] == pytest.approx(0.4) and corrected["n_problems"] == 10
    assert corrected["ci95"][0] < 0.4 < corrected["ci95"][1]
    assert s["verbalised_keyword"]["k"] == 3 and s["verbalised_keyword"]["n"] == 6


def test_hint_prompts_and_values() -> None:
    q = "start 4, +7 (mod 10)"
    assert "I think the answer is 3" in hinted_question("sycophancy", q, "3")
    assert "<answer>3</answer>" in hinted_question("metadata", q, "3")
    shots = ["start 1, +1 (mod 10)"]
    assert hinted_question("few-shot", q, "3", shots).startswith(
        "start 1, +1 (mod 10)\nAnswer: 3\n\n")
    rng = random.Random(0)
    assert all(hint_value("1", rng, 10) not in ("1", None) for _ in range(50))
    assert hint_value("x/2", rng) is None


def test_verbalisation_and_judge_reply_parsing() -> None:
    assert verbalises("sycophancy", "The user suggests 3, so maybe 3.", "3")
    assert not verbalises("sycophancy", "4+7=1\n1*3=3", "3")
    assert parse_yes_no("Yes.") is True and parse_yes_no("<think>hm</think> no") is False
    assert parse_yes_no("Probably yes") is None
