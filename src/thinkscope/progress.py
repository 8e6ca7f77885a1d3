"""Progress bars that suit where the output goes: tqdm on a terminal; in a log (CI, ``tox -e
demo > log``) one line when a stage starts and one when it ends, instead of hundreds of
carriage-return updates. ``THINKSCOPE_PROGRESS=bar|lines|off`` overrides the choice."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any


def _mode() -> str:
    forced = os.environ.get("THINKSCOPE_PROGRESS", "").strip().lower()
    if forced in ("bar", "lines", "off"):
        return forced
    return "bar" if sys.stderr.isatty() else "lines"


class LineProgress:
    """The part of tqdm's interface thinkscope uses, printing a start and an end line."""

    def __init__(self, iterable: Iterable[Any] | None = None, total: int | None = None,
                 desc: str = "", unit: str = "it", disable: bool = False, **_: Any) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total, self.desc, self.unit = total, desc or "progress", unit
        self.n = 0
        self.disable = disable
        self.postfix = ""
        self.t0 = time.perf_counter()
        self.closed = False
        if not disable:
            of = f" ({total} {unit})" if total is not None else ""
            print(f"{self.desc}: started{of}", file=sys.stderr, flush=True)

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        parts = [str(a) for a in args if a] + [f"{k}={v}" for k, v in kwargs.items()]
        self.postfix = ", ".join(parts)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if not self.disable:
            extra = f" ({self.postfix})" if self.postfix else ""
            print(f"{self.desc}: {self.n} {self.unit} in {time.perf_counter() - self.t0:.1f} s"
                  f"{extra}", file=sys.stderr, flush=True)

    def __iter__(self) -> Iterator[Any]:
        assert self.iterable is not None
        try:
            for x in self.iterable:
                yield x
                self.n += 1
        finally:
            self.close()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def bars_on_screen() -> bool:
    """Whether progress is drawn as bars (a terminal), not as lines or nothing."""
    return _mode() == "bar"


def progress_bar(iterable: Iterable[Any] | None = None, **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)`` on a terminal, a ``LineProgress`` in a log, or a disabled
    bar with ``THINKSCOPE_PROGRESS=off``."""
    mode = _mode()
    if mode == "off":
        kwargs["disable"] = True
    if mode == "bar":
        from tqdm.auto import tqdm

        return tqdm(iterable, **kwargs)
    return LineProgress(iterable, **kwargs)
