"""Each importer on small files written here in the exact shapes the real tools produce."""

import json
from pathlib import Path

import pytest

from thinkscope.traces import TraceStore
from thinkscope.traces.io import (
    IMPORTERS,
    BadRecord,
    ImportOptions,
    discover,
    export_store,
    get_importer,
    import_paths,
    parse_annotated,
)


def read(fmt: str, path: Path, **opts):
    return list(IMPORTERS[fmt].read(path, ImportOptions(**opts)))


def good(records):
    return [r for r in records if not isinstance(r, BadRecord)]


def test_registry_error_lists_valid_names():
    with pytest.raises(KeyError, match="valid formats: auto, annotated, bbm"):
        get_importer("nope")


def test_parse_annotated_handles_every_tag_form():
    text = (
        '["initializing"] Let me start. ["end-section"]\n'
        "[deduction]So x is 2.[end-section]\n"
        "[1. deduction] Then y = [a, b] and [x] stay text. [end-section]\n"
        '["2. backtracking"] Wait, that is wrong. ["end-section"]'
        '["uncertainty-estimation"]Maybe not? '
        "[example-testing] Try x = 3."
    )
    assert parse_annotated(text) == [
        ("initializing", "Let me start."),
        ("deduction", "So x is 2."),
        ("deduction", "Then y = [a, b] and [x] stay text."),
        ("backtracking", "Wait, that is wrong."),
        ("uncertainty-estimation", "Maybe not?"),  # closed by the next opening tag
        ("example-testing", "Try x = 3."),
    ]


def test_annotated_importer(tmp_path):
    reasoning = "Let me start. So x is 2.\n\nWait, no: x is 3."
    recs = [
        {
            "response": f"<think>{reasoning}</think>\nThe answer is \\boxed{{3}}",
            "thinking_process": reasoning,
            "label_counts": {"initializing": 1},
            "annotated_response": '["initializing"] Let me start. ["end-section"] '
            '[deduction] So x is 2. [end-section]\n\n[1. backtracking] Wait, no: x is 3.',
        },
        {
            "response": "system\nBe helpful.\nuser\nWhat is 1+1?\nassistant\nOne plus one is 2. "
            "Final answer: 2",
            "thinking_process": "One plus one is 2. Final answer: 2",
            "annotated_response": "[deduction]One plus one is 2.[end-section] "
            "[deduction]Final answer: 2[end-section]",
        },
    ]
    path = tmp_path / "comparison_deepseek-r1-distill-qwen-7b.json"
    path.write_text(json.dumps(recs, indent=2))
    traces = good(read("annotated", path))
    assert len(traces) == 2
    r1, inst = traces
    assert r1.model.id == "deepseek-r1-distill-qwen-7b" and r1.model.kind.value == "rl"
    assert r1.corpus == "comparison"
    assert r1.reasoning == reasoning and r1.extracted_answer == "3"
    segs = r1.annotations.segments
    assert [s.label for s in segs] == ["initializing", "deduction", "backtracking"]
    for s in segs:
        assert reasoning[s.start : s.end] == s.text
    assert [m.role for m in inst.prompt.messages] == ["system", "user"]
    assert inst.extracted_answer == "2"
    assert r1.problem_id == "0" and inst.problem_id == "1"
    assert r1.finish_reason is None


def test_annotated_importer_marks_a_think_block_that_never_closed_as_cut(tmp_path):
    rec = {"response": "<think>Divide by 16: 13,728 / 16 = 85",
           "annotated_response": '["deduction"] Divide by 16: 13,728 / 16 = 85 ["end-section"]'}
    path = tmp_path / "cut_deepseek-r1-distill-qwen-7b.json"
    path.write_text(json.dumps([rec]))
    (trace,) = good(read("annotated", path))
    assert trace.finish_reason == "length" and trace.answer == ""


def test_bbm_importer(tmp_path):
    path = tmp_path / "arith.jsonl"
    rows = [
        {"input": "(1 + 2) * 3 =", "steps": ["1 + 2 = 3.", "3 * 3 = 10. So the answer is 10"],
         "target": "9", "answer": "10", "mistake_index": 1},
        {"input": "2 * 2 =", "steps": ["2 * 2 = 4. So the answer is 4"], "target": "4",
         "answer": "4", "mistake_index": None},
        {"input": "2 * 2 =", "steps": ["2 * 2 = 4."], "target": "4", "answer": "4",
         "mistake_index": None},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    a, b, c = good(read("bbm", path))
    assert a.annotations.first_error == 1 and a.annotations.first_error_labelled
    assert a.annotations.step_verdicts == [True, False]
    assert a.correct is False and b.correct is True
    assert b.annotations.first_error is None and b.annotations.step_verdicts == [True]
    assert b.problem_id == c.problem_id and (b.sample_index, c.sample_index) == (0, 1)
    for s in a.annotations.segments:
        assert a.reasoning[s.start : s.end] == s.text


def test_openai_chat_importer_never_stores_api_errors(tmp_path):
    completion = {
        "id": "cmpl-1", "object": "chat.completion", "model": "deepseek-r1",
        "choices": [
            {"index": 0, "finish_reason": "stop",
             "message": {"role": "assistant", "content": "\\boxed{4}",
                         "reasoning_content": "2+2=4"},
             "logprobs": {"content": [{"token": "4", "logprob": -0.1}]}},
            {"index": 1, "finish_reason": "length",
             "message": {"role": "assistant", "content": "<think>2+2 is", "reasoning": None}},
        ],
    }
    lines = [
        {"request": {"messages": [{"role": "user", "content": "2+2?"}], "temperature": 0.6,
                     "seed": 5}, "response": completion, "gold_answer": "4"},
        {"custom_id": "q2", "response": {"status_code": 200, "body": {
            "model": "qwen3-8b", "choices": [{"message": {"content": "ok", "reasoning": "hmm"},
                                               "finish_reason": "stop"}]}}, "error": None},
        {"custom_id": "q3", "response": {"status_code": 500, "body": {"error": "overloaded"}}},
        {"custom_id": "q4", "response": None, "error": {"message": "rate limited"}},
        {"model": "m", "choices": []},
    ]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    recs = read("openai-chat", path)
    traces, bad = good(recs), [r for r in recs if isinstance(r, BadRecord)]
    assert len(traces) == 3 and len(bad) == 3
    assert [b.line for b in bad] == [3, 4, 5]
    assert all("error" in b.reason or "no choices" in b.reason for b in bad)
    t0, t1, t2 = traces
    assert (t0.reasoning, t0.extracted_answer, t0.correct) == ("2+2=4", "4", True)
    assert t0.completion_logprobs == pytest.approx([-0.1])
    assert t0.sampling.temperature == 0.6 and t0.seed == 5
    assert (t1.sample_index, t1.problem_id) == (1, t0.problem_id)
    assert t1.reasoning == "2+2 is" and t1.finish_reason == "length" and t1.answer == ""
    assert (t2.problem_id, t2.model.id, t2.reasoning) == ("q2", "qwen3-8b", "hmm")


def test_inspect_json_importer(tmp_path):
    log = {
        "version": 2, "status": "success",
        "eval": {"task": "arith", "model": "openai/gpt-x"},
        "samples": [
            {"id": "a", "epoch": 1, "input": "2+2?", "target": "4",
             "output": {"model": "openai/gpt-x", "choices": [{"message": {
                 "role": "assistant", "content": [
                     {"type": "reasoning", "reasoning": "two and two"},
                     {"type": "text", "text": "ANSWER: 4"}]}, "stop_reason": "stop"}]},
             "scores": {"match": {"value": "C", "answer": "4"}}},
            {"id": "b", "epoch": 2, "input": [{"role": "user", "content": "3+3?"}],
             "target": ["6"], "output": {"choices": [{"message": {
                 "role": "assistant", "content": "<think>3+3=7</think>ANSWER: 7"}}]},
             "scores": {"match": {"value": "I"}}},
            {"id": "c", "epoch": 1, "input": "x", "output": {"choices": []},
             "error": {"message": "boom"}},
        ],
    }
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    recs = read("inspect", path)
    traces = good(recs)
    assert len(traces) == 2 and sum(isinstance(r, BadRecord) for r in recs) == 1
    a, b = traces
    assert (a.reasoning, a.extracted_answer, a.correct, a.corpus) == ("two and two", "4", True,
                                                                     "arith")
    assert (b.reasoning, b.extracted_answer, b.correct, b.sample_index) == ("3+3=7", "7", False, 1)
    assert b.gold_answer == "6"


def test_inspect_logs_written_by_inspect_ai(tmp_path):
    """Real inspect_ai logs (both .eval and .json) from a run of its mock model."""
    pytest.importorskip("inspect_ai")
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import (
        ChatCompletionChoice,
        ChatMessageAssistant,
        ContentReasoning,
        ContentText,
        ModelOutput,
        ModelUsage,
        get_model,
    )
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    def out(reason: str, text: str) -> ModelOutput:
        msg = ChatMessageAssistant(content=[ContentReasoning(reasoning=reason),
                                            ContentText(text=text)])
        return ModelOutput(model="mockllm/model",
                           choices=[ChatCompletionChoice(message=msg, stop_reason="stop")],
                           usage=ModelUsage(input_tokens=3, output_tokens=3, total_tokens=6))

    task = Task(dataset=[Sample(input="What is 2+2?", target="4", id="q1"),
                         Sample(input="What is 3+3?", target="6", id="q2")],
                solver=generate(), scorer=match())
    for fmt in ("eval", "json"):
        model = get_model("mockllm/model", memoize=False, custom_outputs=[
            out("two plus two is four", "The answer is 4"),
            out("three plus three, wait, seven", "The answer is 7")])
        inspect_eval(task, model=model, log_dir=str(tmp_path / fmt), log_format=fmt,
                     display="none")
        (path,) = list((tmp_path / fmt).glob(f"*.{fmt}"))
        recs = read("inspect", path)
        traces = sorted(good(recs), key=lambda t: t.problem_id)
        assert len(recs) == 2 and len(traces) == 2, recs
        assert [t.reasoning for t in traces] == ["two plus two is four",
                                                 "three plus three, wait, seven"]
        assert [t.extracted_answer for t in traces] == ["4", "7"]
        assert [t.correct for t in traces] == [True, False]
        assert [t.gold_answer for t in traces] == ["4", "6"]


def test_thought_anchors_importer(tmp_path):
    d = tmp_path / "deepseek-r1-distill-qwen-14b" / "problem_1"
    d.mkdir(parents=True)
    (d / "problem.json").write_text(json.dumps({"problem": "1+1?", "gt_answer": "2"}))
    (d / "base_solution.json").write_text(json.dumps({
        "prompt": "Solve. Problem: 1+1? Solution: \n<think>\n",
        "solution": "One plus one.  It is 2.\n</think>\n\\boxed{2}",
        "answer": "2", "is_correct": "True"}))
    (d / "chunks_labeled.json").write_text(json.dumps([
        {"chunk": "One plus one.", "chunk_idx": 0, "function_tags": ["problem_setup"],
         "resampling_importance_accuracy": 0.1},
        {"chunk": "It is 2.", "chunk_idx": 1, "function_tags": ["active_computation"],
         "resampling_importance_accuracy": 0.7},
    ]))
    (t,) = good(read("thought-anchors", d))
    assert t.model.id == "deepseek-r1-distill-qwen-14b" and t.model.kind.value == "rl"
    assert (t.reasoning, t.answer, t.correct) == ("One plus one.  It is 2.", "\\boxed{2}", True)
    assert [c["resampling_importance_accuracy"] for c in t.annotations.chunks] == [0.1, 0.7]
    assert [(s.label, t.reasoning[s.start:s.end]) for s in t.annotations.segments] == [
        ("problem_setup", "One plus one."), ("active_computation", "It is 2.")]
    assert t.annotations.extra["source_is_correct"] is True


def test_thought_anchors_importer_reads_the_earlier_layout(tmp_path):
    # no base_solution.json: prompt and solution are chunks.json's source_text
    d = tmp_path / "problem_7"
    d.mkdir()
    (d / "problem.json").write_text(json.dumps({"problem": "2+3?", "gt_answer": "5"}))
    (d / "chunks.json").write_text(json.dumps({
        "source_text": "Solve. Problem: 2+3? Solution: \n<think>\nTwo plus three. It is 5.\n"
                       "</think>\n\nSo \\boxed{5}",
        "solution_text": "Two plus three. It is 5.", "chunks": ["Two plus three.", "It is 5."]}))
    (d / "chunks_labeled.json").write_text(json.dumps([
        {"chunk": "Two plus three.", "chunk_idx": 0, "function_tags": ["problem_setup"],
         "importance": 0.1, "accuracy": 0.8},
        {"chunk": "It is 5.", "chunk_idx": 1, "function_tags": ["active_computation"],
         "importance": 0.4, "accuracy": 0.9},
    ]))
    units, _ = discover([tmp_path])
    assert [(u.path, u.spec.name) for u in units] == [(d, "thought-anchors")]
    (t,) = good(read("thought-anchors", d, model="deepseek-r1-distill-qwen-14b"))
    assert t.prompt.text == "Solve. Problem: 2+3? Solution: \n<think>"
    assert (t.reasoning, t.extracted_answer, t.correct) == ("Two plus three. It is 5.", "5", True)
    assert [s.label for s in t.annotations.segments] == ["problem_setup", "active_computation"]
    assert [c["importance"] for c in t.annotations.chunks] == [0.1, 0.4]
    # neither file usable: one clear error naming the file
    (d / "chunks.json").write_text(json.dumps({"chunks": []}))
    (bad,) = read("thought-anchors", d)
    assert bad.path.endswith("chunks.json") and "source_text" in bad.reason


def test_export_round_trip_jsonl_and_parquet(tmp_path):
    path = tmp_path / "arith.jsonl"
    path.write_text(json.dumps({"input": "1+1", "steps": ["1+1=2"], "target": "2",
                                "answer": "2", "mistake_index": None}) + "\n")
    src = TraceStore(tmp_path / "a")
    import_paths([path], src, progress=False)
    export_store(src, tmp_path / "out.jsonl", "jsonl")
    export_store(src, tmp_path / "out.parquet", "parquet")
    dst = TraceStore(tmp_path / "b")
    summary = import_paths([tmp_path / "out.jsonl"], dst, progress=False)  # auto-detected
    assert summary.files[0].format == "thinkscope" and summary.imported == 1
    assert list(dst.iter_traces()) == list(src.iter_traces())
    import pandas as pd

    df = pd.read_parquet(tmp_path / "out.parquet")
    assert df["trace_id"].tolist() == src.to_pandas()["trace_id"].tolist()


def test_task_corpus_in_a_directory_is_skipped_not_bad(tmp_path):
    """A GSM8K-style file (question + answer, no model output) is a task, not traces."""
    from thinkscope.traces.io._import import discover

    corpus = tmp_path / "gsm8k" / "test.jsonl"
    corpus.parent.mkdir()
    corpus.write_text('{"question": "1+1?", "answer": "1+1=<<1+1=2>>2\\n#### 2"}\n')
    units, skipped = discover([tmp_path])
    assert units == [] and skipped == [str(corpus)]
    units, _ = discover([corpus])  # named directly: one line saying what it is
    assert len(units) == 1 and units[0].spec is None and "--corpus" in (units[0].problem or "")
