"""The ``thinkscope`` command line: a thin layer over the library (one module per command)."""

from ._app import app, main

__all__ = ["app", "main"]
