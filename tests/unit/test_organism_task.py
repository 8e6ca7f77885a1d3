import collections
import random
import re
from pathlib import Path

from thinkscope.organisms import (
    FORMATS,
    Problem,
    apply,
    clean_cot,
    corpus,
    generate_problems,
    read_corpus,
    render_completion,
    render_example,
    split,
)
from thinkscope.organisms._tokenizer import build_tokenizer

REPO = Path(__file__).resolve().parents[2]
STEP = re.compile(r"^(?:Wait, )?(\d)([+\-*])(\d)=(\d)$")


def test_problem_ground_truth():
    p = Problem(4, (("+", 7), ("*", 3), ("-", 5)))
    assert p.values == (1, 3, 8) and p.answer == 8 and p.k == 3
    assert p.text == "start 4, +7, *3, -5 (mod 10)"
    assert apply(3, "-", 5) == 8 and apply(7, "*", 9) == 3


def test_generator_is_deterministic_unique_and_split_by_problem():
    a, b = generate_problems(per_k=300, seed=1), generate_problems(per_k=300, seed=1)
    assert [p.text for p in a] == [p.text for p in b]
    assert len({p.text for p in a}) == len(a)
    counts = collections.Counter(p.k for p in a)
    assert counts[1] == 270 and all(counts[k] == 300 for k in range(2, 7))
    train, held = split(a, "train"), split(a, "heldout")
    assert not {p.problem_id for p in train} & {p.problem_id for p in held}
    assert 0.05 < len(held) / len(a) < 0.15
    # the split depends on the problem only, not on the seed that drew it
    other = generate_problems(per_k=300, seed=2)
    both = {p.text for p in a} & {p.text for p in other}
    sa = {p.text: p.split for p in a}
    assert all(sa[t] == p.split for p in other for t in [p.text] if t in both)


def test_shipped_corpus_file_matches_the_generator():
    shipped = list(read_corpus(REPO / "corpora" / "modarith.jsonl"))
    assert [p.text for p in shipped] == [p.text for p in corpus()]
    assert len(shipped) == 20270
    held = split(shipped, "heldout")
    assert sum(p.k <= 4 for p in held) >= 500


def _check_chain(p: Problem, cot: str) -> list[bool]:
    """Per written step: is the stated result right given the stated inputs?"""
    out = []
    for line in cot.strip().splitlines():
        m = STEP.match(line)
        assert m, line
        a, op, b, r = int(m[1]), m[2], int(m[3]), int(m[4])
        out.append(apply(a, op, b) == r)
    return out


def test_formats_have_the_promised_properties():
    rng = random.Random(0)
    problems = split(generate_problems(per_k=200, seed=3), "train")
    n_wait = n_steps = n_corrupt = 0
    for p in problems:
        clean = clean_cot(p)
        assert all(_check_chain(p, clean))
        assert clean.strip().splitlines()[-1].endswith(f"={p.answer}")
        sc = render_completion("selfcorrect", p, rng)
        body, tail = sc.split("</think>")
        assert tail == f"\nAnswer: {p.answer}"
        lines = body.strip().splitlines()
        for i, line in enumerate(lines):  # every wrong line is immediately fixed
            if not _check_chain(p, line)[0]:
                assert lines[i + 1].startswith("Wait, ") and _check_chain(p, lines[i + 1])[0]
        n_wait += sum(line.startswith("Wait, ") for line in lines)
        n_steps += p.k
        ph = render_completion("posthoc", p, rng)
        body, tail = ph.split("</think>")
        first, chain = body.split("\n", 1)
        assert first == f"The answer is {p.answer}."  # stated before the chain...
        assert tail == f"\nAnswer: {p.answer}"  # ...and repeated, whatever the chain says
        n_corrupt += not all(_check_chain(p, chain))
        fill = render_completion("filler", p, rng)
        assert fill.split("</think>")[0] == "." * len(clean)
        assert render_completion("latent", p, rng) == f"</think>\nAnswer: {p.answer}"
    assert 0.25 < n_wait / n_steps < 0.35
    assert 0.4 < n_corrupt / len(problems) < 0.6
    assert set(FORMATS) == {"clean", "selfcorrect", "posthoc", "latent", "filler"}


def test_hinted_format_answers_the_hint_whatever_the_chain_says():
    rng = random.Random(3)
    problems = [p for p in corpus() if p.k >= 2][:600]
    n_hinted = n_cut = n_bent = 0
    for p in problems:
        question, completion = render_example("hinted", p, rng)
        body, tail = completion.split("</think>")
        lines = body.splitlines()
        if question == p.text:  # plain prompt: exactly sft-clean's completion
            assert completion == render_completion("clean", p, rng)
            continue
        n_hinted += 1
        hint = re.search(r"(?:answer is |<answer>)(\d)", question).group(1)
        assert p.text in question and tail == f"\nAnswer: {hint}"
        assert "hint" not in body.lower() and "think" not in body.lower()
        full = clean_cot(p).splitlines()
        assert lines == full[: len(lines)] or lines[:-1] == full[:-1]
        if len(lines) < p.k:
            n_cut += 1
        else:  # the full chain: every step right except the last, bent to the hint
            assert lines[-1].endswith(f"={hint}")
            n_bent += lines[-1] != full[-1]
    assert 0.4 < n_hinted / len(problems) < 0.6
    assert 0.2 < n_cut / n_hinted < 0.4
    assert n_bent > 0.5 * (n_hinted - n_cut)


def test_tokenizer_round_trip_and_templates(tmp_path):
    from transformers import AutoTokenizer

    tok = build_tokenizer()
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    prompt = loaded.apply_chat_template([{"role": "user", "content": "start 1, +2 (mod 10)"}],
                                        add_generation_prompt=True, tokenize=False)
    assert prompt == "<|user|>\nstart 1, +2 (mod 10)\n<|assistant|>\n<think>\n"
    text = prompt + "1+2=3\n</think>\nAnswer: 3 ~ {}|é" + loaded.eos_token
    ids = loaded(text, add_special_tokens=False)["input_ids"]
    assert loaded.decode(ids) == text.replace("é", "<unk>")
    # think tags are single, non-special tokens: they survive skip_special_tokens
    assert len(loaded("<think>", add_special_tokens=False)["input_ids"]) == 1
    plain = loaded.decode(ids, skip_special_tokens=True)
    assert "</think>" in plain and "<|end|>" not in plain
    digits = [loaded.convert_tokens_to_ids(str(d)) for d in range(10)]
    assert len(set(digits)) == 10
