"""``thinkscope show``: one trace, with its reasoning as numbered segments."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from ..text import segment_sentences
from ..traces import Trace
from ._options import StoreOpt, open_store


def _segments(trace: Trace) -> list[tuple[str | None, str]]:
    """Gold segments (with labels) when the trace carries them, else auto sentences."""
    ann = trace.annotations
    if ann is not None and ann.segments:
        return [(s.label, s.text) for s in ann.segments]
    return [(None, s.stripped) for s in segment_sentences(trace.reasoning)]


def show(
    trace_id: Annotated[str, typer.Argument(help="Trace id (a unique prefix is enough).")],
    store: StoreOpt,
    width: Annotated[int, typer.Option(help="Max characters shown per segment.")] = 400,
) -> None:
    """Print one trace: header, prompt, numbered reasoning segments, answer and grade."""
    st = open_store(store)
    try:
        trace = st.get(trace_id)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(1) from None
    con = Console(highlight=False, soft_wrap=True)
    head = Text(f"trace {trace.trace_id}", style="bold")
    con.print(head)
    con.print(Text(f"model {trace.model.id} ({trace.model.kind.value})   corpus {trace.corpus}   "
                   f"problem {trace.problem_id}   sample {trace.sample_index}"))
    if trace.source:
        con.print(Text(f"source {trace.source}", style="dim"))
    question = next((m.content for m in reversed(trace.prompt.messages) if m.role == "user"),
                    trace.prompt.text)
    if question:
        con.print(Text("\nprompt", style="bold"))
        con.print(Text(question[:2000]))
    segments = _segments(trace)
    verdicts = trace.annotations.step_verdicts if trace.annotations else None
    con.print(Text(f"\nreasoning ({len(segments)} segments, {len(trace.reasoning)} chars)",
                   style="bold"))
    for i, (label, body) in enumerate(segments):
        line = Text(f"{i:>4} ", style="dim")
        if label:
            line.append(f"[{label}] ", style="cyan")
        if verdicts is not None and i < len(verdicts) and verdicts[i] is False:
            line.append("[first error] ", style="bold red")
        body = " ".join(body.split())
        line.append(body if len(body) <= width else body[: width - 3] + "...")
        con.print(line)
    con.print(Text("\nanswer", style="bold"))
    con.print(Text(trace.answer[:2000] or "(none)"))
    grade = {True: "correct", False: "wrong", None: "ungraded"}[trace.correct]
    con.print(Text(f"\nextracted {trace.extracted_answer!r}   gold {trace.gold_answer!r}   "
                   f"{grade}", style="bold"))
