"""Every importer on the real files in ../shared/data (skipped when the folder is absent)."""

import collections
import json
import subprocess
import sys

import pytest

from thinkscope.traces import TraceStore
from thinkscope.traces.io import import_paths, parse_annotated

pytestmark = pytest.mark.real_data

VENHOFF = {
    "reasoning_comparison_deepseek-r1-distill-qwen-1.5b.json": ("deepseek-r1-distill-qwen-1.5b",
                                                                "rl"),
    "reasoning_comparison_qwen2.5-1.5b-instruct.json": ("qwen2.5-1.5b-instruct", "instruct"),
}


@pytest.fixture(scope="module")
def store(shared_data, tmp_path_factory):
    st = TraceStore(tmp_path_factory.mktemp("real") / "store")
    summary = import_paths([shared_data], st, progress=False)
    assert summary.bad == 0, [f.errors for f in summary.files if f.errors]
    return st


def test_venhoff_files_import_100_traces_each_with_labels_preserved(shared_data, store):
    df = store.to_pandas(corpus="reasoning_comparison")
    for name, (model, kind) in VENHOFF.items():
        raw = json.loads((shared_data / "venhoff-dev" / name).read_text())
        sub = df[df["model_id"] == model]
        assert len(raw) == 100 and len(sub) == 100
        assert set(sub["model_kind"]) == {kind}
        traces = {t.problem_id: t for t in store.iter_traces(model=model)}
        for i, rec in enumerate(raw):
            t = traces[str(i)]
            want = parse_annotated(rec["annotated_response"])
            got = [(s.label, s.text) for s in t.annotations.segments]
            assert got == want
            # Where the source's own counter worked, our label counts equal it exactly.
            counts = {k: v for k, v in rec["label_counts"].items() if v}
            if counts:
                assert dict(collections.Counter(lab for lab, _ in want)) == counts
            located = [s for s in t.annotations.segments if s.start is not None]
            for s in located:
                assert " ".join(t.reasoning[s.start:s.end].split()) == " ".join(s.text.split())
        n_seg = sum(len(t.annotations.segments) for t in traces.values())
        n_loc = sum(s.start is not None for t in traces.values() for s in t.annotations.segments)
        assert n_loc / n_seg > 0.98  # nearly every gold segment has exact offsets


def test_venhoff_label_totals(store):
    totals: collections.Counter[str] = collections.Counter()
    for t in store.iter_traces(model="deepseek-r1-distill-qwen-1.5b"):
        totals.update(s.label for s in t.annotations.segments)
    assert set(totals) == {"initializing", "deduction", "adding-knowledge", "example-testing",
                           "uncertainty-estimation", "backtracking"}


def test_bbm_file(shared_data, store):
    raw = [json.loads(line) for line in
           (shared_data / "bbm-arithmetic-dev" / "multistep_arithmetic_dev.jsonl").open()]
    traces = list(store.iter_traces(corpus="bbm/multistep_arithmetic_dev"))
    assert len(traces) == len(raw) == 50
    by_source = {int(t.source.rsplit(":", 1)[1]): t for t in traces}
    for line, rec in enumerate(raw, start=1):
        t = by_source[line]
        assert t.annotations.first_error == rec["mistake_index"]
        assert [s.text for s in t.annotations.segments] == rec["steps"]
        assert t.correct == (str(rec["answer"]).strip() == str(rec["target"]).strip())


def test_thought_anchors_problem(shared_data, store):
    (t,) = store.iter_traces(corpus="thought-anchors")
    chunks = json.loads((shared_data / "thought-anchors-example" / "chunks_labeled.json")
                        .read_text())
    assert t.annotations.chunks == chunks
    assert t.gold_answer == "88572" and t.extracted_answer == "88572" and t.correct is True
    assert "</think>" not in t.reasoning and t.answer.endswith("\\(\\boxed{88572}\\).")
    assert all(s.start is not None for s in t.annotations.segments)


def test_cli_import_auto_and_stats_json(shared_data, tmp_path):
    store = tmp_path / "store"
    cmd = [sys.executable, "-m", "thinkscope"]
    res = subprocess.run([*cmd, "import", str(shared_data), "--format", "auto", "--store",
                          str(store), "-q"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([*cmd, "stats", "--store", str(store), "--json"], capture_output=True,
                         text=True, timeout=600)
    stats = json.loads(res.stdout)
    assert stats["traces"] == 251 and stats["quarantined"] == 0
    assert stats["by_model"] == {"deepseek-r1-distill-qwen-1.5b": 100,
                                 "qwen2.5-1.5b-instruct": 100, "palm-2": 50, "unknown": 1}
    assert stats["by_corpus"] == {"reasoning_comparison": 200,
                                  "bbm/multistep_arithmetic_dev": 50, "thought-anchors": 1}
    tid = TraceStore(store).to_pandas(corpus="thought-anchors")["trace_id"].iloc[0]
    res = subprocess.run([*cmd, "show", tid[:8], "--store", str(store)], capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0 and "[active_computation]" in res.stdout
    assert "extracted '88572'   gold '88572'   correct" in res.stdout
