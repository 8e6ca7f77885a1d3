import pytest

from thinkscope.text import find_math_spans, segment_sentences, segment_text

LATEX = (
    "We need $x = 1.5$. Then compute \\(y = 2.5 \\cdot x\\). Dr. Smith wrote:\n\n"
    "$$\n\\frac{a}{b} = 0.75.\n\nNext line. Still math.\n$$\n"
    "So \\[ z = 3. \\] holds! Is it \\boxed{\\frac{1}{2}. \\text{ok}}? Yes.\n\n"
    "\\begin{align} a &= 1. \\\\ b &= 2. \\end{align} Done. Price is \\$5. Fine.\n"
    "1. **First step.** compute.\n2. Second step."
)


def test_offsets_rebuild_the_text_exactly():
    segs = segment_sentences(LATEX)
    assert "".join(s.text for s in segs) == LATEX
    for s in segs:
        assert LATEX[s.start : s.end] == s.text
    assert [s.index for s in segs] == list(range(len(segs)))


def test_no_sentence_boundary_inside_math():
    segs = segment_sentences(LATEX)
    cuts = {s.start for s in segs}
    for a, b in find_math_spans(LATEX):
        assert not any(a < c < b for c in cuts), LATEX[a:b]


def test_expected_sentences():
    got = [s.stripped for s in segment_sentences(LATEX)]
    assert got[0] == "We need $x = 1.5$."
    assert got[1] == "Then compute \\(y = 2.5 \\cdot x\\)."
    # the display block (with a blank line and periods inside) is never cut
    assert any(g.startswith("$$\n\\frac{a}{b}") and "Still math.\n$$" in g for g in got)
    assert "Is it \\boxed{\\frac{1}{2}. \\text{ok}}?" in got
    assert "Price is \\$5." in got
    # list markers stay with their sentence, never a segment of their own
    assert "1. **First step.**" in got and "2. Second step." in got
    assert not any(g in ("1.", "2.", "1. **") for g in got)


def test_blank_lines_are_hard_breaks():
    text = "First part without a period\n\nsecond part also without one"
    segs = segment_sentences(text)
    assert [s.stripped for s in segs] == ["First part without a period",
                                          "second part also without one"]
    assert [s.paragraph for s in segs] == [0, 1]


def test_math_spans():
    text = "a $b$ c $$d$$ \\(e\\) \\[f\\] \\boxed{g{h}} \\$5 and $unclosed"
    spans = [text[a:b] for a, b in find_math_spans(text)]
    assert spans == ["$b$", "$$d$$", "\\(e\\)", "\\[f\\]", "\\boxed{g{h}}"]


@pytest.mark.parametrize("unit", ["sentence", "paragraph", "line"])
def test_units_tile_the_text(unit):
    segs = segment_text(LATEX, unit)  # type: ignore[arg-type]
    assert "".join(s.text for s in segs) == LATEX
    assert segs


def test_line_breaks_option_splits_steps():
    text = "A = 1 + 2 = 3\nB = A * 2 = 6\nSo the answer is 6"
    assert len(segment_sentences(text)) == 1
    assert [s.stripped for s in segment_sentences(text, line_breaks=True)] == text.split("\n")


def test_empty_and_long_text():
    assert segment_sentences("") == []
    long = "This is one sentence with $x_1 = 2.5$ inside. " * 20000  # ~1 MB
    segs = segment_sentences(long)
    assert len(segs) == 20000
    assert "".join(s.text for s in segs) == long
