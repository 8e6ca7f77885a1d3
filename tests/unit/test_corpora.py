import json
import time

import pytest

from thinkscope.generate import CorpusUnavailable, corpus_label, load_corpus


def test_modarith_splits():
    held = load_corpus("modarith")
    assert len(held) == 1944 and held[0].gold is not None and "k" in held[0].meta
    assert len(load_corpus("modarith", split="train", limit=5)) == 5


def test_public_corpus_offline_fails_fast_with_instructions(monkeypatch):
    pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(CorpusUnavailable, match="--corpus corpus.jsonl"):
        load_corpus("gsm8k")
    assert time.perf_counter() - t0 < 30


def test_local_jsonl_corpus(tmp_path):
    path = tmp_path / "my_set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"question": "1+1?", "answer": "2", "id": "a"},
        {"problem": "2+2?", "answer": "#### 4"},
    ]))
    items = load_corpus(str(path))
    assert [(i.problem_id, i.question, i.gold) for i in items] == [("a", "1+1?", "2"),
                                                                   ("2", "2+2?", "4")]
    assert corpus_label(str(path)) == "my_set"
    with pytest.raises(CorpusUnavailable, match="valid corpora"):
        load_corpus("nonexistent-corpus")
