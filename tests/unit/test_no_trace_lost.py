"""No trace is lost or merged: import identity, fault-isolated importers, store integrity.

Each test reproduces one way of losing data silently and checks that the good records are
stored once each, the bad ones are named (file:line) and quarantined, and that nothing is
reported stored that is not.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thinkscope.cli import app
from thinkscope.traces import ModelInfo, StoreError, Trace, TraceStore

runner = CliRunner()


def imp(*args: str):
    return runner.invoke(app, ["import", "-q", *args])


def quarantined(store: Path) -> list[dict]:
    return [json.loads(line) for p in sorted((store / "quarantine").glob("*.jsonl"))
            for line in p.read_text().splitlines()]


def chat_line(question: str, reasoning: str, answer: str, **extra) -> dict:
    rec = {"request": {"messages": [{"role": "user", "content": question}]},
           "response": {"model": "qwen3-8b", "choices": [{"message": {
               "role": "assistant", "content": answer, "reasoning_content": reasoning},
               "finish_reason": "stop"}]}}
    rec.update(extra)
    return rec


def write_jsonl(path: Path, recs: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in recs))
    return path


# ------------------------------------------------------------------ 1. identity
def ta_problem(d: Path, n: int, solution: str, correct: bool) -> None:
    d.mkdir(parents=True)
    (d / "problem.json").write_text(json.dumps({"problem": f"{n}+1?", "gt_answer": str(n + 1)}))
    (d / "base_solution.json").write_text(json.dumps({
        "prompt": f"Solve: {n}+1?\n<think>\n", "solution": solution,
        "is_correct": correct}))


def test_correct_and_incorrect_base_solutions_of_one_problem_are_two_traces(tmp_path):
    root = tmp_path / "deepseek-r1-distill-qwen-14b"
    for n in range(6):
        ta_problem(root / "correct_base_solution" / f"problem_{n}", n,
                   f"{n} plus one is {n + 1}.</think>\\boxed{{{n + 1}}}", True)
        ta_problem(root / "incorrect_base_solution" / f"problem_{n}", n,
                   f"{n} plus one is {n + 2}.</think>\\boxed{{{n + 2}}}", False)
    store = tmp_path / "store"
    res = imp(str(tmp_path / "deepseek-r1-distill-qwen-14b"), "--store", str(store))
    assert res.exit_code == 0, res.output
    df = TraceStore(store).to_pandas()
    assert len(df) == 12
    assert sorted(df["correct"].tolist()) == [False] * 6 + [True] * 6
    # and the same tree imported again adds nothing
    res = imp(str(root), "--store", str(store))
    assert "0 imported, 12 already stored" in res.stdout
    assert len(TraceStore(store)) == 12


def test_two_result_files_of_one_model_on_one_corpus_are_both_kept(tmp_path):
    qs = [f"What is {i} + {i}?" for i in range(5)]
    run1 = write_jsonl(tmp_path / "run1.jsonl",
                       [chat_line(q, f"r1 {i}", f"The answer is {2 * i}.") for i, q in
                        enumerate(qs)])
    run2 = write_jsonl(tmp_path / "run2.jsonl",
                       [chat_line(q, f"r2 {i}", f"The answer is {2 * i + 1}.") for i, q in
                        enumerate(qs)])
    store = tmp_path / "store"
    res = imp("--corpus", "gsm8k", str(run1), str(run2), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert "total: 10 imported, 0 already stored" in res.stdout
    assert len(TraceStore(store)) == 10


def test_repeated_problem_ids_and_separator_characters_never_collide(tmp_path):
    path = tmp_path / "math_deepseek-r1.jsonl"
    write_jsonl(path, [
        {"problem_id": "p1", "annotated_response": '["deduction"]first[end-section]'},
        {"problem_id": "p1", "annotated_response": '["deduction"]second[end-section]'},
    ])
    store = tmp_path / "store"
    assert imp(str(path), "--store", str(store)).exit_code == 0
    assert sorted(TraceStore(store).to_pandas()["reasoning"]) == ["first", "second"]
    a = Trace(problem_id="a|b", corpus="c", model=ModelInfo(id="m"))
    b = Trace(problem_id="a", corpus="c", model=ModelInfo(id="b|m"))
    c = Trace(problem_id="x/y", corpus="c", model=ModelInfo(id="m"))
    d = Trace(problem_id="y", corpus="c/x", model=ModelInfo(id="m"))
    assert len({a.key, b.key, c.key, d.key}) == 4
    assert TraceStore(tmp_path / "s2").append([a, b, c, d]).written == 4


def test_native_records_with_one_trace_id_and_different_keys_are_not_merged(tmp_path):
    t1 = Trace(problem_id="p1", corpus="c", model=ModelInfo(id="m"), reasoning="one")
    t2 = Trace(problem_id="p2", corpus="c", model=ModelInfo(id="m"), reasoning="two",
               trace_id=t1.trace_id)
    path = write_jsonl(tmp_path / "export.jsonl", [t1.model_dump(mode="json"),
                                                    t2.model_dump(mode="json")])
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    st = TraceStore(store)
    assert len(st) == 1 and st.get(t1.trace_id).reasoning == "one"
    (q,) = quarantined(store)
    assert q["line"] == 2 and "already stored for a different record" in q["reason"]
    assert "two" in q["raw"]


def test_schema_1_store_is_read_then_migrated_on_first_write(tmp_path):
    """A store written by schema 1 (old keys, no identity column) reads, and the first write
    rekeys its imported traces by content, keeping their trace ids."""
    import pyarrow.parquet as pq

    root = tmp_path / "old"
    st = TraceStore(root)
    imported = Trace(problem_id="p", corpus="c", model=ModelInfo(id="m"), reasoning="imp",
                     source="file.jsonl:1", identity="content")
    generated = Trace(problem_id="p", corpus="c", model=ModelInfo(id="m"), sample_index=1,
                      reasoning="gen", source="generate:hf")
    st.append([imported, generated])
    # Rewrite as schema 1: old key format, no identity/record_id columns, no checksums.
    (shard,) = list((root / "shards").iterdir())
    table = pq.read_table(shard).drop_columns(["identity", "record_id"])
    old_keys = ["c/p|m|0|-", "c/p|m|1|-"]
    order = table.column("reasoning").to_pylist()
    keys = [old_keys[0] if r == "imp" else old_keys[1] for r in order]
    table = table.set_column(table.schema.get_field_index("key"), "key",
                             __import__("pyarrow").array(keys))
    table = table.set_column(0, "schema_version", __import__("pyarrow").array(
        [1] * table.num_rows, type=table.schema.field("schema_version").type))
    pq.write_table(table, shard)
    (root / "journal.jsonl").write_text(json.dumps(
        {"op": "add", "shard": shard.name, "n": 2, "keys": keys}) + "\n")
    (root / "store.json").write_text(json.dumps(
        {"format": "thinkscope-trace-store", "schema_version": 1}) + "\n")
    old = TraceStore(root)
    assert old.schema_version == 1 and len(old.to_pandas()) == 2
    by_r = {t.reasoning: t for t in old.iter_traces()}
    assert by_r["imp"].identity == "content" and by_r["gen"].identity == "generation"
    # first write migrates; re-importing the imported trace is then a duplicate
    res = old.append([imported, generated])
    assert (res.written, res.duplicates) == (0, 2)
    assert json.loads((root / "store.json").read_text())["schema_version"] == 2
    after = TraceStore(root)
    assert sorted(after.to_pandas()["trace_id"]) == sorted([imported.trace_id,
                                                            generated.trace_id])


# ------------------------------------------------------------------ 2. fault isolation
def test_wrong_types_in_openai_chat_records_lose_only_those_records(tmp_path):
    good = [chat_line(f"q{i}", f"r{i}", f"The answer is {i}.") for i in range(4)]
    bad_finish = chat_line("qa", "ra", "x")
    bad_finish["response"]["choices"][0]["finish_reason"] = 7
    bad_lp = chat_line("qb", "rb", "y")
    bad_lp["response"]["choices"][0]["logprobs"] = {"content": [{"logprob": "x"}]}
    bad_temp = chat_line("qc", "rc", "z")
    bad_temp["request"]["temperature"] = "hot"
    path = write_jsonl(tmp_path / "chat.jsonl",
                       [good[0], bad_finish, good[1], bad_lp, good[2], bad_temp, good[3]])
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert len(TraceStore(store)) == 4
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert [e.split(":")[2] for e in errors] == ["2", "4", "6"]
    assert "finish_reason" in errors[0] and "temperature" in errors[2]
    assert [q["line"] for q in quarantined(store)] == [2, 4, 6]


def test_wrong_types_in_inspect_samples_lose_only_those_samples(tmp_path):
    def sample(i, **kw):
        s = {"id": f"s{i}", "epoch": 1, "input": f"{i}+{i}?", "target": str(2 * i),
             "output": {"model": "m", "choices": [{"message": {
                 "role": "assistant", "content": f"<think>{i}+{i}</think>{2 * i}"},
                 "stop_reason": "stop"}]}}
        s.update(kw)
        return s
    bad = sample(1)
    bad["output"]["choices"][0]["stop_reason"] = {"nested": True}
    log = {"version": 2, "eval": {"task": "t", "model": "m"},
           "samples": [sample(0), bad, sample(2), "not a sample", sample(3)]}
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert sorted(TraceStore(store).to_pandas()["problem_id"]) == ["s0", "s2", "s3"]
    assert len(quarantined(store)) == 2


def test_one_bad_byte_in_an_inspect_log_loses_only_its_sample(tmp_path):
    samples = [{"id": f"s{i}", "input": "q", "output": {"choices": [{"message": {
        "role": "assistant", "content": f"text {i}"}}]}} for i in range(3)]
    text = json.dumps({"version": 2, "eval": {"task": "t", "model": "m"}, "samples": samples})
    data = text.encode().replace(b"text 1", b"text \xff1")
    path = tmp_path / "log.json"
    path.write_bytes(data)
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert sorted(TraceStore(store).to_pandas()["problem_id"]) == ["s0", "s2"]
    (q,) = quarantined(store)
    assert "sample 1" in q["reason"] and "Unicode" in q["reason"]


@pytest.mark.parametrize("fmt", ["auto", "openai-chat", "bbm", "annotated", "thinkscope",
                                 "inspect"])
def test_deeply_nested_line_is_one_bad_record_in_every_format(tmp_path, fmt):
    deep = "[" * 100_000 + "]" * 100_000
    good = chat_line("q", "r", "The answer is 1.")
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(good) + "\n" + deep + "\n" + json.dumps(
        chat_line("q2", "r2", "The answer is 2.")) + "\n")
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store), "--format", fmt)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert "Traceback" not in res.output
    if fmt in ("auto", "openai-chat"):
        assert len(TraceStore(store)) == 2
        assert [q["line"] for q in quarantined(store)] == [2]
        assert "nested deeper" in quarantined(store)[0]["reason"]


def test_lone_surrogate_escape_is_quarantined_not_a_lost_batch(tmp_path):
    lines = [json.dumps(chat_line(f"q{i}", f"r{i}", f"The answer is {i}.")) for i in range(5)]
    lines[2] = lines[2].replace("r2", "r2 \\ud800 x")
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert len(TraceStore(store)) == 4
    assert [q["line"] for q in quarantined(store)] == [3]


def test_utf8_bom_does_not_reject_the_first_record(tmp_path):
    lines = [json.dumps(chat_line(f"q{i}", f"r{i}", "ok")) for i in range(3)]
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert len(TraceStore(store)) == 3 and "0 bad" in res.stdout


def test_one_malformed_element_of_a_json_array_loses_only_that_element(tmp_path):
    elems = [json.dumps({"problem_id": f"p{i}",
                         "annotated_response": f'["deduction"]step {i}[end-section]'})
             for i in range(5)]
    elems[2] = '{"problem_id": "p2", "annotated_response": "x" "oops"}'
    path = tmp_path / "math_qwen2.5-1.5b-instruct.json"
    path.write_text("[\n  " + ",\n  ".join(elems) + "\n]\n")
    store = tmp_path / "store"
    res = imp(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert sorted(TraceStore(store).to_pandas()["problem_id"]) == ["p0", "p1", "p3", "p4"]
    (q,) = quarantined(store)
    assert q["line"] == 4 and "oops" in q["raw"]


def test_thought_anchors_chunk_with_odd_function_tags_keeps_the_trace(tmp_path):
    d = tmp_path / "deepseek-r1-distill-llama-8b" / "problem_3"
    ta_problem(d, 3, "three plus one is four.</think>\\boxed{4}", True)
    (d / "chunks_labeled.json").write_text(json.dumps([
        {"chunk": "three plus one is four.", "function_tags": {}},
        {"chunk": "x", "function_tags": {"a": 1}}]))
    store = tmp_path / "store"
    res = imp(str(d), "--store", str(store))
    assert res.exit_code == 0, res.output
    (t,) = list(TraceStore(store).iter_traces())
    assert [s.label for s in t.annotations.segments][:1] == ["unlabelled"]


def test_thought_anchors_scenario_directories_import(tmp_path):
    for verdict in ("yes", "no"):
        d = tmp_path / "deepseek-r1-distill-qwen-14b" / f"{verdict}_base_solution" / "scenario_0"
        d.mkdir(parents=True)
        (d / "scenario.json").write_text(json.dumps({
            "system_prompt": "You are Alex.", "user_prompt": "Read the emails.",
            "email_content": "From: Kyle ..."}))
        (d / "base_solution.json").write_text(json.dumps({
            "solution": f"<SCRATCHPAD_REASONING>I must decide ({verdict}).</SCRATCHPAD_REASONING>"
                        f"<tool_use:email>to: kyle</tool_use:email>",
            "contains_blackmail": verdict == "yes"}))
    store = tmp_path / "store"
    res = imp(str(tmp_path / "deepseek-r1-distill-qwen-14b"), "--store", str(store))
    assert res.exit_code == 0, res.output
    traces = sorted(TraceStore(store).iter_traces(), key=lambda t: t.reasoning)
    assert [t.reasoning for t in traces] == ["I must decide (no).", "I must decide (yes)."]
    assert traces[0].answer.startswith("<tool_use:email>")
    assert traces[1].annotations.extra["source_contains_blackmail"] is True
    assert "Read the emails." in traces[0].prompt.messages[0].content


def test_non_utf8_file_name_imports_without_a_traceback(tmp_path):
    name = os.fsencode(tmp_path) + b"/run-\xff.jsonl"
    with open(name, "wb") as fh:
        fh.write((json.dumps(chat_line("q", "r", "The answer is 1.")) + "\n").encode())
    store = tmp_path / "store"
    res = imp(str(tmp_path), "--store", str(store))
    assert res.exit_code == 0, res.output
    (t,) = list(TraceStore(store).iter_traces())
    assert "\\xff" in t.source


# ------------------------------------------------------------------ 3. faults of the disk
def many(n: int, tag: str = "") -> list[Trace]:
    return [Trace(problem_id=f"{tag}p{i}", corpus="c", model=ModelInfo(id="m"),
                  reasoning=f"{tag}reasoning {i} " * 20) for i in range(n)]


def test_short_journal_write_is_a_failure_and_stores_nothing(tmp_path, monkeypatch):
    st = TraceStore(tmp_path / "s")
    st.append(many(3))
    real_write = os.write

    def short(fd, data):
        return real_write(fd, bytes(data)[: max(1, len(data) // 2)]) if len(data) > 50 else \
            real_write(fd, data)

    calls = {"n": 0}

    def full(fd, data):
        calls["n"] += 1
        if calls["n"] == 1:
            return short(fd, data)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StoreError, match="disk full"):
        st.write_batch(many(10, "new "))
    monkeypatch.undo()
    fresh = TraceStore(tmp_path / "s")
    assert len(fresh) == 3 and fresh.fsck().ok
    assert (tmp_path / "s" / "journal.jsonl").read_bytes().endswith(b"\n")
    assert st.append(many(10, "new ")).written == 10  # and the store still works


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_import_onto_a_full_disk_fails_loudly_and_reports_only_what_is_stored(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount tmpfs here")
    try:
        recs = [chat_line(f"q{i}", f"reasoning {i} " + os.urandom(400).hex(), "ok")
                for i in range(600)]
        src = write_jsonl(tmp_path / "big.jsonl", recs)
        store = mnt / "store"
        res = imp(str(src), "--store", str(store))
        assert res.exit_code == 1, res.output
        assert "disk full" in res.stderr
        said = int(res.stdout.split("[openai-chat]: ")[1].split(" imported")[0])
        assert len(TraceStore(store)) == said < 600
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_corrupt_journal_line_is_reported_and_repaired_without_loss(tmp_path):
    root = tmp_path / "s"
    st = TraceStore(root)
    for i in range(5):
        st.append(many(20, f"b{i} "))
    assert len(st) == 100
    lines = (root / "journal.jsonl").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"n":20', b'"n":21')  # one byte flipped in a middle line
    (root / "journal.jsonl").write_bytes(b"\n".join(lines))
    st = TraceStore(root)
    assert st.corrupt_lines() == [(3, "checksum mismatch")]
    res = runner.invoke(app, ["stats", "--store", str(root)])
    assert "journal.jsonl:3: corrupt journal line" in res.stderr
    with pytest.raises(StoreError, match="journal.jsonl:3"):
        st.append(many(1, "x "))  # writers refuse rather than treat its shard as an orphan
    assert len(list((root / "shards").iterdir())) == 5  # nothing moved or deleted
    res = runner.invoke(app, ["fsck", "--store", str(root)])
    assert res.exit_code == 1 and "journal.jsonl:3" in res.stdout
    res = runner.invoke(app, ["fsck", "--store", str(root), "--repair"])
    assert res.exit_code == 0, res.output
    assert "20 trace(s) re-adopted" in res.stdout
    st = TraceStore(root)
    assert len(st) == 100 and len(st.to_pandas()) == 100 and st.fsck().ok
    assert list(root.glob("journal.jsonl.bak-*"))


def test_orphan_shards_are_moved_aside_and_recoverable(tmp_path):
    root = tmp_path / "s"
    st = TraceStore(root)
    st.append(many(4))
    lines = (root / "journal.jsonl").read_text().splitlines()
    (root / "journal.jsonl").write_text("")  # as if the commit line never made it
    st = TraceStore(root)
    st.append(many(1, "other "))
    assert len(list((root / "orphans").iterdir())) == 1  # kept, not deleted
    report = TraceStore(root).fsck(repair=True)
    assert report.recovered == 4 and len(TraceStore(root)) == 5
    assert lines  # the original commit existed


def test_read_only_truncated_and_corrupt_stores_give_one_line_errors(tmp_path):
    root = tmp_path / "s"
    st = TraceStore(root)
    st.append(many(3))
    (shard,) = list((root / "shards").iterdir())
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="shard cannot be read"):
        TraceStore(root).to_pandas()
    proc = subprocess.run([sys.executable, "-m", "thinkscope", "stats", "--store", str(root)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "shard cannot be read" in proc.stderr
    (root / "store.json").write_text('{"format": "thinkscope-trace-st')
    with pytest.raises(StoreError, match="corrupt store metadata"):
        TraceStore(root)
    res = runner.invoke(app, ["stats", "--store", str(root)])
    assert res.exit_code == 2 and "corrupt store metadata" in res.stderr


def test_read_only_store_gives_a_one_line_error(tmp_path):
    root = tmp_path / "ro" / "s"
    root.parent.mkdir()
    mounted = False
    if os.geteuid() == 0:  # root ignores permissions: use a filesystem mounted read-only
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(root.parent)],
                          capture_output=True).returncode != 0:
            pytest.skip("cannot mount tmpfs here")
        mounted = True
    try:
        TraceStore(root).append(many(2))
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(root.parent)], check=True)
        else:
            for p in [root, *root.rglob("*")]:
                p.chmod(0o555 if p.is_dir() else 0o444)
        assert len(TraceStore(root)) == 2  # reading works
        with pytest.raises(StoreError, match="read-only"):
            TraceStore(root).append(many(1, "x "))
        res = imp(str(write_jsonl(tmp_path / "a.jsonl", [chat_line("q", "r", "ok")])),
                  "--store", str(root))
        assert res.exit_code == 1 and "read-only" in res.stderr, res.output
    finally:
        if mounted:
            subprocess.run(["umount", str(root.parent)], check=False)
        else:
            for p in [root, *root.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)


# ------------------------------------------------------------------ 5./6. scale, honest metrics
def test_long_whitespace_free_runs_reach_spacy_in_bounded_pieces():
    """spaCy's tokenizer is quadratic in a token's length (an 80 KB run of brackets took
    minutes); the segmenter hands it runs of at most MAX_RUN characters, offsets unchanged."""
    from thinkscope.text import segment_text
    from thinkscope.text._segment import MAX_RUN, _break_long_runs

    text = "(" * 40_000 + "1" + ")" * 40_000 + " = 1. Then 2 + 2 = 4."
    broken = _break_long_runs(text)
    assert len(broken) == len(text)
    assert max(len(run) for run in broken.split()) <= MAX_RUN
    segs = segment_text(text)
    assert "".join(s.text for s in segs) == text


def test_step_errors_on_traces_with_no_checkable_step_say_not_measurable(tmp_path):
    lines = [json.dumps({"input": f"Sort the words: pear apple {i}",
                         "steps": ["Thought: the first word is apple.", "So the answer is apple."],
                         "target": "apple pear", "answer": "apple", "mistake_index": 1 if i % 2
                         else None}) for i in range(8)]
    path = tmp_path / "word_sorting.jsonl"
    path.write_text("\n".join(lines) + "\n")
    store = tmp_path / "s"
    assert imp(str(path), "--store", str(store), "--format", "bbm").exit_code == 0
    res = runner.invoke(app, ["analyze", "errors", "--store", str(store), "--out",
                              str(tmp_path / "err"), "--segments", "gold", "-q"])
    assert res.exit_code == 0, res.output
    assert "not measurable (0 checkable steps" in res.stdout
    assert "first-error accuracy 0." not in res.stdout
    summary = json.loads((tmp_path / "err" / "summary.json").read_text())
    (group,) = summary["groups"].values()
    assert group["first_error_accuracy"]["value"] is None
    assert group["step_error_rate"]["value"] is None


def test_a_dollar_in_a_model_id_does_not_break_the_figures(tmp_path):
    from thinkscope.analyze.behaviors import get_detector, label_traces, write_behaviors

    traces = [Trace(problem_id=f"p{i}", corpus="c", model=ModelInfo(id="org/$x_{$-model"),
                    reasoning="Let me think. Wait, that is wrong. So 2 + 2 = 4.")
              for i in range(4)]
    res = label_traces(traces, get_detector("keyword"), "auto", progress=False)
    write_behaviors(res, tmp_path / "b")
    assert (tmp_path / "b" / "behaviors.png").stat().st_size > 1000
