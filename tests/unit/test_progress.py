"""Progress in a log is two lines per stage, not hundreds of carriage-return updates."""

from thinkscope.progress import LineProgress, progress_bar


def test_a_log_gets_one_start_and_one_end_line(capsys, monkeypatch):
    monkeypatch.delenv("THINKSCOPE_PROGRESS", raising=False)
    bar = progress_bar(total=500, desc="step errors", unit="trace")  # stderr is not a tty here
    assert isinstance(bar, LineProgress)
    for _ in range(500):
        bar.update(1)
    bar.set_postfix(tok_s=12)
    bar.close()
    bar.close()  # closing twice prints nothing more
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[0] == "step errors: started (500 trace)"
    assert lines[1].startswith("step errors: 500 trace in ") and lines[1].endswith("(tok_s=12)")
    assert len(lines) == 2 and "\r" not in err


def test_iterating_and_turning_progress_off(capsys, monkeypatch):
    monkeypatch.setenv("THINKSCOPE_PROGRESS", "lines")
    assert list(progress_bar(range(4), desc="eval")) == [0, 1, 2, 3]
    assert capsys.readouterr().err.count("\n") == 2
    monkeypatch.setenv("THINKSCOPE_PROGRESS", "off")
    assert list(progress_bar(range(4), desc="eval")) == [0, 1, 2, 3]
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("THINKSCOPE_PROGRESS", "lines")
    assert list(progress_bar(range(4), desc="eval", disable=True)) == [0, 1, 2, 3]
    assert capsys.readouterr().err == ""
