"""Analyzers: reasoning behaviours and step-level errors (``behaviors``, ``errors``)."""

from . import behaviors, errors

__all__ = ["behaviors", "errors"]
