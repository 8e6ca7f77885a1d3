"""Bad input: one clear line per bad record naming file and line; good records go on; bad ones
are counted and quarantined; the exit code is non-zero only when nothing could be imported."""

import json

from typer.testing import CliRunner

from thinkscope.cli import app
from thinkscope.traces import TraceStore

runner = CliRunner()


def bbm(i: int) -> str:
    return json.dumps({"input": f"{i} + 1 =", "steps": [f"{i} + 1 = {i + 1}."],
                       "target": str(i + 1), "answer": str(i + 1), "mistake_index": None})


def run_import(*args: str):
    return runner.invoke(app, ["import", "-q", *args])


def quarantined(store):
    return [json.loads(line) for p in sorted((store / "quarantine").glob("*.jsonl"))
            for line in p.read_text().splitlines()]


def test_bad_lines_in_jsonl(tmp_path):
    path = tmp_path / "mix.jsonl"
    lines = [
        bbm(1),
        '{"input": "2 + 2 =", "steps": ["oops"',                         # malformed JSON
        json.dumps({"input": "3 =", "target": "3", "mistake_index": None}),  # missing field
        json.dumps({"input": 3, "steps": ["x"], "mistake_index": None}),    # wrong type
        json.dumps({"input": "4 =", "steps": ["x"], "mistake_index": 7}),   # bad index
        bbm(5),
    ]
    data = ("\n".join(lines) + "\n").encode() + b'{"input": "\xff\xfe", "steps": ["a"], ' \
        b'"mistake_index": null}\n' + bbm(6).encode() + b"\n"
    path.write_bytes(data)
    store = tmp_path / "store"
    res = run_import(str(path), "--store", str(store), "--format", "bbm")
    assert res.exit_code == 0, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert [e.split(":")[2] for e in errors] == ["2", "3", "4", "5", "7"]
    assert all(str(path) in e for e in errors)
    assert "malformed JSON" in errors[0] and "missing field 'steps'" in errors[1]
    assert "should be str" in errors[2] and "mistake_index" in errors[3]
    assert "UTF-8" in errors[4]
    assert len(TraceStore(store)) == 3
    q = quarantined(store)
    assert [r["line"] for r in q] == [2, 3, 4, 5, 7]
    assert "\\xff" in q[4]["raw"]  # the undecodable bytes are kept, escaped
    assert "3 imported" in res.stdout and "5 bad" in res.stdout


def test_directory_with_one_broken_file_among_good_ones(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.jsonl").write_text(bbm(1) + "\n" + bbm(2) + "\n")
    (d / "b.jsonl").write_text(bbm(3) + "\n")
    (d / "broken.json").write_text('[{"annotated_response": "[deduction] x", "response": "x"},')
    (d / "empty.jsonl").write_text("")
    (d / "README.md").write_text("not data")
    store = tmp_path / "store"
    res = run_import(str(d), "--store", str(store))
    assert res.exit_code == 0, res.output
    assert len(TraceStore(store)) == 4  # 3 bbm + the one complete annotated record
    errs = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errs) == 2
    assert any("broken.json:1" in e and "not closed" in e for e in errs)
    assert any("empty.jsonl" in e and "empty file" in e for e in errs)
    stats = json.loads(runner.invoke(app, ["stats", "--store", str(store), "--json"]).stdout)
    assert stats["traces"] == 4 and stats["quarantined"] == 2
    assert "skipped 1 non-trace file" in res.stdout


def test_truncated_json_array_keeps_the_records_before_the_break(tmp_path):
    recs = [{"annotated_response": f"[deduction] step {i}", "thinking_process": f"step {i}"}
            for i in range(3)]
    text = json.dumps(recs, indent=1)
    path = tmp_path / "cut_model-x.json"
    path.write_text(text[: text.rindex("{")] + '{"annotated_response": "[dedu')
    store = tmp_path / "store"
    res = run_import(str(path), "--store", str(store), "--format", "annotated")
    assert res.exit_code == 0
    assert len(TraceStore(store)) == 2
    (err,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert f"{path}:" in err and "rest of file not read" in err


def test_nothing_importable_exits_non_zero(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("not json\n{also not}\n")
    res = run_import(str(path), "--store", str(tmp_path / "s"), "--format", "bbm")
    assert res.exit_code == 1
    assert TraceStore(tmp_path / "s").quarantined_count() == 2
    res = run_import(str(tmp_path / "missing.jsonl"), "--store", str(tmp_path / "s"))
    assert res.exit_code == 1 and "no such file" in res.stderr
    res = run_import(str(path), "--store", str(tmp_path / "s"), "--format", "nope")
    assert res.exit_code == 2 and "valid formats" in res.stderr


def test_rerun_is_not_a_failure_and_adds_nothing(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(bbm(1) + "\n")
    store = tmp_path / "s"
    assert run_import(str(path), "--store", str(store)).exit_code == 0
    res = run_import(str(path), "--store", str(store))
    assert res.exit_code == 0 and "1 already stored" in res.stdout
    assert len(TraceStore(store)) == 1


def test_ten_megabyte_trace_imports(tmp_path):
    big = "Step. " * (10 * 1024 * 1024 // 6)
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"input": "big", "steps": [big, "So the answer is 1"],
                                "target": "1", "answer": "1", "mistake_index": None}) + "\n")
    store = tmp_path / "s"
    res = run_import(str(path), "--store", str(store))
    assert res.exit_code == 0, res.output
    (t,) = TraceStore(store).iter_traces()
    assert len(t.reasoning) > 10_000_000 and t.correct is True
