from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from thinkscope.traces import (
    SCHEMA_VERSION,
    Annotations,
    GoldSegment,
    ModelInfo,
    Perturbation,
    Trace,
    row_to_trace,
    trace_to_row,
)


def full_trace(**kw) -> Trace:
    base = dict(
        problem_id="p7",
        corpus="modarith",
        sample_index=3,
        model=ModelInfo(id="org/model", revision="abc", kind="rl"),
        prompt={"messages": [{"role": "user", "content": "2+2?"}], "text": "<u>2+2?</u><think>\n"},
        prompt_token_ids=[1, 2, 3],
        reasoning="2 plus 2 is 4.",
        answer="\\boxed{4}",
        extracted_answer="4",
        gold_answer="4",
        correct=True,
        completion_token_ids=[5, 6, 7],
        completion_logprobs=[-0.25, -1.5, 0.0],
        sampling={"temperature": 0.6, "top_p": 0.95, "max_tokens": 64, "stop": ["</s>"]},
        seed=11,
        finish_reason="stop",
        backend="hf",
        parent_trace_id="deadbeef",
        perturbation=Perturbation(kind="truncate", params={"fraction": 0.5}),
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        annotations=Annotations(
            source="test",
            segments=[GoldSegment(text="2 plus 2 is 4.", label="deduction", start=0, end=14)],
            step_verdicts=[True],
            first_error_labelled=True,
            first_error=None,
            chunks=[{"chunk": "2 plus 2 is 4.", "importance": 0.5}],
        ),
        source="unit",
    )
    base.update(kw)
    return Trace(**base)


def test_json_round_trip_is_exact():
    t = full_trace()
    assert Trace.model_validate_json(t.model_dump_json()) == t


def test_row_round_trip_is_exact():
    t = full_trace()
    assert row_to_trace(trace_to_row(t)) == t


def test_trace_id_is_derived_from_the_idempotency_key():
    a, b = full_trace(), full_trace(reasoning="something else")
    assert a.trace_id == b.trace_id  # same problem x model x sample x perturbation
    c = full_trace(sample_index=4)
    d = full_trace(perturbation=Perturbation(kind="truncate", params={"fraction": 0.6}))
    assert len({a.trace_id, c.trace_id, d.trace_id}) == 3


def test_perturbation_key_ignores_param_order():
    p1 = Perturbation(kind="k", params={"a": 1, "b": 2})
    p2 = Perturbation(kind="k", params={"b": 2, "a": 1})
    assert p1.key() == p2.key()


def test_newer_schema_version_is_refused():
    row = trace_to_row(full_trace())
    row["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="newer"):
        row_to_trace(row)


def test_unknown_fields_and_bad_kinds_are_rejected():
    with pytest.raises(ValidationError):
        Trace(problem_id="p", corpus="c", model=ModelInfo(id="m"), bogus=1)
    with pytest.raises(ValidationError):
        ModelInfo(id="m", kind="wizard")
