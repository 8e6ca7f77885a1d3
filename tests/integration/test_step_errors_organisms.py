"""Step errors on organism chains, where every step's truth is known: planted errors are found at
the right index, and on a real organism's generations the symbolic checker agrees with the
exact ground truth."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from thinkscope.analyze.errors import check_steps, check_traces, ground_truth_steps
from thinkscope.organisms import heldout
from thinkscope.organisms._formats import step_line
from thinkscope.organisms._task import MOD, apply


def planted_chain(problem, j: int | None, rng: random.Random) -> list[str]:
    """The clean chain with step j's result replaced by a wrong value (later steps coherent
    with it), one line per step after an answer-first statement line."""
    lines = [f"The answer is {problem.answer}."]
    v = problem.start
    for i, (op, a) in enumerate(problem.ops):
        nv = apply(v, op, a)
        if i == j:
            nv = (nv + rng.randrange(1, MOD)) % MOD
        lines.append(step_line(v, op, a, nv).strip())
        v = nv
    return lines


def test_planted_errors_are_found_at_the_right_index() -> None:
    rng = random.Random(0)
    problems = heldout()[:300]
    hits = 0
    for p in problems:
        j = rng.choice([None, *range(p.k)])
        steps = planted_chain(p, j, rng)
        want = None if j is None else j + 1  # line 0 is the answer statement
        sym = check_steps(steps, p.text)
        truth = ground_truth_steps(steps, p.text)
        assert truth is not None and truth.first_error == want
        hits += sym.first_error == want
        assert sym.n_checkable == p.k  # every step line is checkable, the statement is not
    assert hits == len(problems)


def test_a_step_that_skips_the_questions_operation_is_wrong_by_ground_truth() -> None:
    q = "start 4, +7, *3, -5 (mod 10)"
    steps = ["4+7=1", "1*2=2", "2-5=7"]  # arithmetic right, but *2 is not the question's *3
    assert check_steps(steps, q).first_error is None
    assert ground_truth_steps(steps, q).first_error == 1


@pytest.fixture(scope="module")
def posthoc_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sampled traces of the post-hoc organism, whose chains are silently wrong half the time."""
    store = tmp_path_factory.mktemp("posthoc") / "store"
    subprocess.run([sys.executable, "-m", "thinkscope", "generate", "--model",
                    "organism:sft-posthoc", "--corpus", "modarith", "--limit", "120",
                    "--temperature", "1.0", "--seed", "0",
                    "--store", str(store), "-q"], check=True, capture_output=True)
    return store


def test_symbolic_checker_agrees_with_ground_truth_on_organism_traces(posthoc_store: Path,
                                                                      tmp_path: Path) -> None:
    from thinkscope.traces import TraceStore

    df = check_traces(TraceStore(posthoc_store).iter_traces(), "auto", progress=False)
    assert len(df) == 120
    assert set(df["gold_source"]) == {"chain-truth"}
    # the organism makes errors (its chains are decorative), and the checker sees them
    assert (df["n_truth_errors"] > 0).sum() >= 20
    same = (df["first_error_pred"] == df["first_error_gold"]) | (
        df["first_error_pred"].isna() & df["first_error_gold"].isna())
    assert same.mean() >= 0.95, df[~same.fillna(False)].head()
    out = tmp_path / "errors"
    res = subprocess.run([sys.executable, "-m", "thinkscope", "analyze", "errors", "--store",
                          str(posthoc_store), "--out", str(out), "--segments", "auto", "-q"],
                         check=True, capture_output=True, text=True)
    assert "first-error accuracy" in res.stdout
    table = pd.read_parquet(out / "traces.parquet")
    assert list(table.columns[:6]) == ["trace_id", "model", "model_kind", "corpus",
                                       "problem_id", "n_steps"]
    assert (out / "errors.png").stat().st_size > 1000
