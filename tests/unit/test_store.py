import json

import pytest

from thinkscope.traces import ModelInfo, Perturbation, StoreError, Trace, TraceStore


def make(i: int, model: str = "m", corpus: str = "c", kind: str = "sft", **kw) -> Trace:
    return Trace(problem_id=f"p{i}", corpus=corpus, model=ModelInfo(id=model, kind=kind),
                 reasoning=f"reasoning {i}", completion_logprobs=[-0.5 * i], **kw)


def test_append_read_round_trip(tmp_path):
    store = TraceStore(tmp_path / "s")
    traces = [make(i) for i in range(10)]
    res = store.append(traces, batch_size=4)
    assert (res.written, res.duplicates, res.shards) == (10, 0, 3)
    back = {t.trace_id: t for t in store.iter_traces()}
    assert back == {t.trace_id: t for t in traces}


def test_rewriting_same_keys_is_idempotent(tmp_path):
    store = TraceStore(tmp_path / "s")
    store.append([make(i) for i in range(5)])
    res = store.append([make(i) for i in range(8)])  # 5 old + 3 new
    assert (res.written, res.duplicates) == (3, 5)
    assert len(store) == 8 and len(store.to_pandas()) == 8
    # duplicates inside one batch are dropped too
    res = store.write_batch([make(20), make(20)])
    assert (res.written, res.duplicates) == (1, 1)


def test_perturbed_traces_are_distinct_keys(tmp_path):
    store = TraceStore(tmp_path / "s")
    parent = make(1)
    child = make(1, parent_trace_id=parent.trace_id,
                 perturbation=Perturbation(kind="truncate", params={"cut": 3}))
    assert store.append([parent, child]).written == 2


def test_filters(tmp_path):
    store = TraceStore(tmp_path / "s")
    store.append([make(i, model="a", kind="rl") for i in range(3)]
                 + [make(i, model="b", corpus="d", kind="instruct") for i in range(2)])
    assert len(store.to_pandas(model="a")) == 3
    assert len(store.to_pandas(corpus="d")) == 2
    assert len(store.to_pandas(kind=["rl", "instruct"])) == 5
    assert len(store.to_pandas(model="a", kind="instruct")) == 0
    assert list(store.to_pandas(columns=["trace_id"]).columns) == ["trace_id"]
    assert store.stats()["by_model"] == {"a": 3, "b": 2}


def test_compaction_keeps_everything_once(tmp_path):
    store = TraceStore(tmp_path / "s")
    for i in range(6):
        store.append([make(i)])
    before = store.to_pandas().sort_values("trace_id").reset_index(drop=True)
    assert store.compact() == 6
    assert len(list((tmp_path / "s" / "shards").iterdir())) == 1
    after = store.to_pandas().sort_values("trace_id").reset_index(drop=True)
    assert before.equals(after)
    assert store.append([make(0), make(99)]).written == 1


def test_torn_journal_tail_and_orphan_shards_are_ignored_then_repaired(tmp_path):
    root = tmp_path / "s"
    store = TraceStore(root)
    store.append([make(0), make(1)])
    # A writer killed mid-append leaves a partial journal line and an uncommitted shard.
    with open(root / "journal.jsonl", "a") as fh:
        fh.write('{"op":"add","shard":"part-x.parquet","n":1,"keys":["c/p9|m|0|-"')
    (root / "shards" / "part-x.parquet").write_bytes(b"garbage")
    (root / "shards" / ".tmp-part-y.parquet").write_bytes(b"garbage")
    assert len(TraceStore(root)) == 2
    assert len(TraceStore(root).to_pandas()) == 2
    store.append([make(2)])  # the next writer repairs: truncates the tail, drops orphans
    names = sorted(p.name for p in (root / "shards").iterdir())
    assert "part-x.parquet" not in names and not any(n.startswith(".tmp") for n in names)
    lines = (root / "journal.jsonl").read_text().splitlines()
    assert all(json.loads(line)["op"] == "add" for line in lines)
    assert len(store) == 3


def test_not_a_store_and_newer_store(tmp_path):
    with pytest.raises(StoreError, match="not a thinkscope trace store"):
        TraceStore(tmp_path / "missing", create=False)
    root = tmp_path / "s"
    TraceStore(root)
    (root / "store.json").write_text(json.dumps(
        {"format": "thinkscope-trace-store", "schema_version": 999}))
    with pytest.raises(StoreError, match="newer"):
        TraceStore(root)


def test_get_by_prefix(tmp_path):
    store = TraceStore(tmp_path / "s")
    t = make(1)
    store.append([t, make(2)])
    assert store.get(t.trace_id[:8]) == t
    with pytest.raises(KeyError):
        store.get("zzzz")


def test_quarantine_counts(tmp_path):
    store = TraceStore(tmp_path / "s")
    assert store.quarantined_count() == 0
    store.quarantine([{"path": "x", "line": 1, "reason": "bad"}] * 3, run="r1")
    store.quarantine([{"path": "y", "line": None, "reason": "bad"}], run="r2")
    assert store.quarantined_count() == 4
    assert store.stats()["quarantined"] == 4
