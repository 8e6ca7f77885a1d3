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
        load_corpus("math500")
    assert time.perf_counter() - t0 < 30


def test_gsm8k_ships_offline_with_values_and_solutions():
    test = load_corpus("gsm8k")
    assert len(test) == 1319 and len(load_corpus("gsm8k", split="train")) == 7473
    first = test[0]
    assert first.problem_id == "gsm8k-test-0" and first.gold == "18"
    assert first.meta["values"] == ["9", "18"]  # 16-3-4=9, 9*2=18
    assert "<<" not in first.meta["solution"] and "####" not in first.meta["solution"]
    # thousands separators are removed from the gold number
    assert all("," not in i.gold for i in test if i.gold)
    with pytest.raises(CorpusUnavailable, match="splits test and train"):
        load_corpus("gsm8k", split="validation")


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
