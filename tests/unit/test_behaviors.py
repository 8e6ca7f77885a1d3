"""Behaviour detectors on segments whose label is unambiguous; the classifier's safe artifact;
the judge's strict parser and its path through a real HTTP backend; agreement metrics."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from thinkscope.analyze.behaviors import (
    BEHAVIORS,
    BehaviorClassifier,
    JudgeDetector,
    JudgeParseError,
    KeywordDetector,
    SegmentInput,
    agreement,
    build_judge_prompt,
    get_detector,
    normalise_label,
    parse_judge_reply,
)


def segs(*texts: str) -> list[SegmentInput]:
    return [SegmentInput(t, i, len(texts), texts[i - 1] if i else "") for i, t in enumerate(texts)]


UNAMBIGUOUS = [
    ("Okay, so the problem asks for the sum of the first ten primes.", "initializing"),
    ("Therefore the total is 129.", "deduction"),
    ("I recall that the formula for the area of a circle is pi r squared.", "adding-knowledge"),
    ("For example, let me check with n = 3: that gives 9, which works.", "example-testing"),
    ("Hmm, I'm not sure this is right.", "uncertainty-estimation"),
    ("Wait, no, I made a mistake: let me go back and redo the second step.", "backtracking"),
]


def test_keyword_detector_on_unambiguous_segments() -> None:
    pred = KeywordDetector().predict(segs(*[t for t, _ in UNAMBIGUOUS]))
    assert pred == [lab for _, lab in UNAMBIGUOUS]


def _training_set() -> tuple[list[SegmentInput], list[str]]:
    rng = np.random.default_rng(0)
    templates = {
        "initializing": ["Okay, so we need to find {x}.", "The problem asks for {x}."],
        "deduction": ["So {x} follows from the previous line.", "Thus {x} is the result."],
        "adding-knowledge": ["I remember that {x} is defined as a ratio.",
                             "By definition {x} is known as a constant."],
        "example-testing": ["Let me test {x} on a small example.", "Plugging in {x} to verify."],
        "uncertainty-estimation": ["Maybe {x} is not right?", "I'm not sure about {x}."],
        "backtracking": ["Wait, no, {x} was wrong, let me redo it.",
                         "Actually, scratch that: {x} fails, go back."],
    }
    words = ["the value", "the area", "x", "the angle", "n", "the sum", "the limit", "k"]
    seg_list, labels = [], []
    for _ in range(30):
        for lab, forms in templates.items():
            text = forms[rng.integers(len(forms))].format(x=words[rng.integers(len(words))])
            seg_list.append(SegmentInput(text, int(rng.integers(1, 9)), 10))
            labels.append(lab)
    return seg_list, labels


def test_classifier_round_trips_through_its_safe_artifact(tmp_path: Path) -> None:
    seg_list, labels = _training_set()
    clf = BehaviorClassifier(C=2.0, min_df=1).fit(seg_list, labels)
    out = clf.save(tmp_path / "clf")
    files = sorted(p.name for p in out.iterdir())
    assert files == ["behavior_classifier.json", "behavior_classifier.safetensors"]
    assert b"pickle" not in (out / "behavior_classifier.json").read_bytes()
    loaded = BehaviorClassifier.load(out)
    probe = segs(*[t for t, _ in UNAMBIGUOUS])
    assert loaded.predict(probe) == clf.predict(probe)
    np.testing.assert_allclose(loaded.predict_proba(probe), clf.predict_proba(probe), atol=1e-5)
    # and it learned the task, not just the file format
    assert loaded.predict(segs("Wait, no, the angle was wrong, let me redo it.",
                               "Maybe the sum is not right?")) == [
        "backtracking", "uncertainty-estimation"]


def test_shipped_classifier_loads_and_labels_obvious_segments() -> None:
    det = get_detector("classifier")
    pred = det.predict(segs(*[t for t, _ in UNAMBIGUOUS]))
    assert pred[0] == "initializing"
    assert pred[5] == "backtracking"
    assert sum(p == g for p, (_, g) in zip(pred, UNAMBIGUOUS)) >= 4


def test_unknown_detector_lists_valid_names() -> None:
    with pytest.raises(KeyError, match="keyword, classifier, judge"):
        get_detector("oracle")


def test_label_normalisation_maps_other_tools_tags() -> None:
    assert normalise_label("Uncertainty Estimation") == "uncertainty-estimation"
    assert normalise_label("problem_setup") == "initializing"
    assert normalise_label("plan_generation") is None
    assert normalise_label("made-up") is None


def test_judge_parser_is_strict() -> None:
    good = ("<think>hmm</think>\nHere are the labels:\n1: initializing\n2: Backtracking\n"
            "3. deduction")
    assert parse_judge_reply(good, 3) == ["initializing", "backtracking", "deduction"]
    for bad in ["1: initializing\n2: backtracking",                       # missing 3
                "1: initializing\n2: backtracking\n3: pondering",         # unknown label
                "1: initializing\n1: deduction\n2: x\n3: deduction",      # duplicate/unknown
                "1: initializing\n2: backtracking\n3: deduction\n4: deduction",  # extra
                "1: initializing, 2: backtracking, 3: deduction"]:       # not one per line
        with pytest.raises(JudgeParseError):
            parse_judge_reply(bad, 3)


def test_judge_prompt_numbers_segments_and_lists_labels() -> None:
    prompt = build_judge_prompt(["First  line.", "Second\nline."], "What is 2+2?", first=5)
    assert "5: First line." in prompt and "6: Second line." in prompt
    assert all(lab in prompt for lab in BEHAVIORS)


class _JudgeServer(BaseHTTPRequestHandler):
    """Answers like a judge would: it labels the numbered segments of the prompt with the
    keyword rule, or replies malformed text when the problem says so."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        numbered = re.findall(r"^(\d+): (.*)$", prompt.split("Segments:")[1], re.M)
        texts = [t for _, t in numbered]
        labels = KeywordDetector().predict(segs(*texts))
        if "MALFORMED" in prompt:
            content = "I think they are mostly deduction."
        else:
            content = "\n".join(f"{n}: {lab}" for (n, _), lab in zip(numbered, labels))
        payload = {"choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content}}]}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def judge_url():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _JudgeServer)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_judge_detector_through_the_http_backend(judge_url: str) -> None:
    from thinkscope.generate.openai_http import OpenAIBackend

    det = JudgeDetector(OpenAIBackend("judge-model", base_url=judge_url))
    texts = [t for t, _ in UNAMBIGUOUS] * 8  # 48 segments: two request windows
    pred = det.predict(segs(*texts), question="a question")
    # the server labels each 40-segment window on its own, as a judge sees it
    kw = KeywordDetector()
    assert pred == kw.predict(segs(*texts[:40])) + kw.predict(segs(*texts[40:]))
    assert pred[:6] == [lab for _, lab in UNAMBIGUOUS]
    assert det.failures == []
    bad = det.predict(segs(*texts[:3]), question="MALFORMED")
    assert bad == [None, None, None]
    assert len(det.failures) == 1


def test_agreement_matches_hand_computed_values() -> None:
    gold = ["backtracking", "backtracking", "deduction", "deduction", "deduction", "initializing"]
    pred = ["backtracking", "deduction", "deduction", "deduction", "backtracking", None]
    a = agreement(gold, pred)
    bt = a["per_label"]["backtracking"]
    assert (bt["precision"], bt["recall"], bt["f1"]) == (0.5, 0.5, 0.5)
    ded = a["per_label"]["deduction"]
    assert ded["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert ded["recall"] == pytest.approx(2 / 3, abs=1e-4)
    # initializing: never predicted (abstention counts as wrong) -> F1 0
    assert a["per_label"]["initializing"]["f1"] == 0.0
    assert a["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3, abs=1e-4)
    # kappa by hand: observed 3/6; expected from the marginals
    po = 3 / 6
    pe = (2 / 6) * (2 / 6) + (3 / 6) * (3 / 6) + (1 / 6) * 0
    assert a["kappa"] == pytest.approx((po - pe) / (1 - pe), abs=1e-4)
    assert a["unlabelled"] == 1
    assert a["confusion"]["initializing"] == {"none": 1}
    assert a["confusion"]["backtracking"] == {"backtracking": 1, "deduction": 1}


def test_agreement_intervals_resample_whole_traces() -> None:
    rng = np.random.default_rng(3)
    labels = ["backtracking", "deduction", "initializing"]
    gold = list(rng.choice(labels, 600))
    # 30 traces labelled perfectly, 30 at random: agreement varies between traces
    pred = [g if i < 300 else str(rng.choice(labels)) for i, g in enumerate(gold)]
    traces = [i // 10 for i in range(600)]
    a = agreement(gold, pred, labels=labels, groups=traces)
    assert a["n_traces"] == 60
    for key in ("macro_f1", "kappa"):
        lo, hi = a["ci95"][key]
        assert lo < a[key] < hi and hi - lo > 0.05
    lo, hi = a["ci95"]["f1"]["backtracking"]
    assert lo < a["per_label"]["backtracking"]["f1"] < hi
    # the interval's midpoint tracks the point estimate the sklearn metrics give
    assert abs((lo + hi) / 2 - a["per_label"]["backtracking"]["f1"]) < 0.05
    # identical traces: resampling them cannot move anything
    same = agreement(gold[:10] * 20, pred[:10] * 20, labels=labels,
                     groups=[i // 10 for i in range(200)])
    assert same["ci95"]["kappa"][0] == same["ci95"]["kappa"][1] == same["kappa"]
    # resampling segments instead of traces would give a narrower interval
    by_segment = agreement(gold, pred, labels=labels, groups=list(range(600)))
    width = lambda r: r["ci95"]["kappa"][1] - r["ci95"]["kappa"][0]  # noqa: E731
    assert width(by_segment) < width(a)


def test_label_consistency_reads_agreement_between_near_twins() -> None:
    from thinkscope.analyze.behaviors import label_consistency

    base = ["Wait, that is wrong, let me redo it.", "So the total is 12 apples.",
            "Maybe I should try a smaller case first.", "I recall that a prime has two divisors."]
    labels = ["backtracking", "deduction", "example-testing", "adding-knowledge"]
    texts = base * 2 + ["Completely unrelated words here about weather and rivers."]
    traces = ["t1"] * 4 + ["t2"] * 4 + ["t3"]
    same = label_consistency(texts, labels * 2 + ["deduction"], traces)
    assert same["n_with_twin"] == 8 and same["agreement"] == 1.0 and same["label_f1"] == 1.0
    # the second copy relabels two twins: 4 of the 8 pairs disagree (each side of a pair counts)
    flipped = labels + ["uncertainty-estimation", "deduction", "deduction", "adding-knowledge"]
    half = label_consistency(texts, flipped + ["deduction"], traces)
    assert half["agreement"] == 0.5 and half["label_f1"] == 0.0
    # twins inside one trace do not count
    alone = label_consistency(texts, labels * 2 + ["deduction"], ["t1"] * 9)
    assert alone["n_with_twin"] == 0


def test_interval_metrics_from_confusion_counts_equal_sklearn() -> None:
    from sklearn.metrics import cohen_kappa_score, f1_score

    from thinkscope.analyze.behaviors._agreement import _metrics

    rng = np.random.default_rng(5)
    labels = ["backtracking", "deduction", "initializing", "example-testing"]
    gold = list(rng.choice(labels[:3], 400))  # example-testing never gold, sometimes predicted
    pred = [g if rng.random() < 0.5 else str(rng.choice(labels + ["none"])) for g in gold]
    classes = sorted(set(gold) | set(pred))
    idx = {c: i for i, c in enumerate(classes)}
    m = np.zeros((1, len(classes), len(classes)))
    for g, p in zip(gold, pred):
        m[0, idx[g], idx[p]] += 1
    present = labels[:3]
    f1, macro, kappa = _metrics(m, [idx[lab] for lab in labels], [idx[lab] for lab in present])
    assert f1[0] == pytest.approx(f1_score(gold, pred, labels=labels, average=None,
                                           zero_division=0))
    assert macro[0] == pytest.approx(f1_score(gold, pred, labels=present, average="macro",
                                              zero_division=0))
    assert kappa[0] == pytest.approx(cohen_kappa_score(gold, pred))
