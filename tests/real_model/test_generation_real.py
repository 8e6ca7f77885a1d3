"""Generation on a real LM: reasoning split from the answer, seeded samples independent of their
batch, a base model stopping at its few-shot boundary."""

from __future__ import annotations

from thinkscope.generate import GenerationRequest, Sampling, builder_for, load_corpus
from thinkscope.text import extract_answer

from .conftest import GEMMA


def test_traces_split_reasoning_from_the_answer(smollm2_traces):
    builder, traces, _ = smollm2_traces
    assert len(traces) == 8
    tok = builder.tokenizer
    for t in traces:
        assert t.completion_token_ids and t.prompt_token_ids
        text = tok.decode(t.completion_token_ids, skip_special_tokens=True)
        assert t.reasoning and text.strip().startswith(t.reasoning[:40])
        if t.answer:  # the answer part starts at the statement and holds what was extracted
            assert t.reasoning.strip() not in t.answer
            assert extract_answer(t.answer).value == t.extracted_answer
        else:
            assert t.extracted_answer is None and t.correct is False
    assert sum(t.extracted_answer is not None for t in traces) >= 4


def test_seeded_samples_do_not_depend_on_their_batch(smollm2):
    builder = builder_for("pkg:smollm2-135m-instruct", smollm2.tokenizer)
    items = load_corpus("gsm8k", limit=3)
    s = Sampling(temperature=1.0, max_tokens=24)
    reqs = [GenerationRequest(prompt_ids=builder.prompt_ids(i.question), n=2, sampling=s, seed=7)
            for i in items]
    together = smollm2.generate(reqs)
    alone = [smollm2.generate([r])[0] for r in reqs]
    again = smollm2.generate(reqs)
    toks = [[c.token_ids for c in row] for row in together]  # type: ignore[union-attr]
    assert toks == [[c.token_ids for c in row] for row in alone]  # type: ignore[union-attr]
    assert toks == [[c.token_ids for c in row] for row in again]  # type: ignore[union-attr]
    assert any(row[0] != row[1] for row in toks)  # two samples of one prompt differ


def test_base_model_answers_after_its_examples(gemma):
    builder = builder_for(GEMMA, gemma.tokenizer)
    items = load_corpus("gsm8k", limit=2)
    s = Sampling(max_tokens=160, stop=tuple(builder.stop))
    res = gemma.generate([GenerationRequest(prompt_ids=builder.prompt_ids(i.question),
                                            sampling=s) for i in items])
    for row in res:
        comp = row[0]  # type: ignore[index]
        assert "Question:" not in comp.text
        reasoning, answer, _ = builder.split(comp.text)
        assert reasoning and "Question:" not in reasoning
        if answer:  # the split found an answer statement: it parses
            assert extract_answer(answer).found


def test_batched_scoring_equals_one_continuation_at_a_time(smollm2):
    """``score_many`` pads continuations of unequal length into one batch; each row's
    log-probabilities must be what ``score`` gives it alone."""
    tok = smollm2.tokenizer
    prompt = tok.encode("Name your favorite animal using only one word.")
    conts = [tok.encode(t, add_special_tokens=False)
             for t in ("Owl", " owls", "My favorite animal is the owl", "Cat")]
    batched = smollm2.score_many(prompt, conts, batch_size=3)  # two batches, padded rows
    for c, row in zip(conts, batched):
        alone = smollm2.score(prompt, c)
        assert len(row) == len(c)
        assert max(abs(a - b) for a, b in zip(row, alone)) < 1e-3
    assert sum(batched[0]) != sum(batched[3])  # different answers, different scores
