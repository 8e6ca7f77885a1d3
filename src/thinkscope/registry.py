"""One registry type behind every pluggable kind of thing: analyses, importers, backends,
detectors, probes, probe targets and corpora.

A registry maps names to objects with a one-line description each. Unknown names raise a
``KeyError`` listing the valid ones; the CLI builds its choices, help text and ``thinkscope list``
from the same registries. Third-party packages add entries through the entry-point group
``thinkscope.<plural>`` (e.g. ``[project.entry-points."thinkscope.importers"]``): the entry
point's object is registered under its name, or, when loading it registers something itself
(a module with a decorator), that registration stands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

#: every registry by its plural name (``thinkscope list KIND``), in creation order
REGISTRIES: dict[str, Registry[object]] = {}


class Registry(Mapping[str, T], Generic[T]):
    """Names to objects of one kind, with descriptions; read-only as a mapping."""

    def __init__(self, kind: str, plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._items: dict[str, T] = {}
        self._descriptions: dict[str, str] = {}
        self._plugins_loaded = False
        REGISTRIES[self.plural] = self  # type: ignore[assignment]

    # -- adding ------------------------------------------------------------------------------
    def add(self, name: str, obj: T, description: str = "") -> T:
        """Register ``obj`` under ``name``; a second registration of a name is an error."""
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._items[name] = obj
        self._descriptions[name] = description or _first_line(getattr(obj, "__doc__", None))
        return obj

    def remove(self, name: str) -> T:
        """Take ``name`` out again (tests; replacing a built-in with a plugin's version)."""
        self._descriptions.pop(name, None)
        return self._items.pop(name)

    def register(self, name: str, description: str = "") -> Callable[[T], T]:
        """Decorator form of ``add``."""

        def deco(obj: T) -> T:
            return self.add(name, obj, description)

        return deco

    # -- reading -----------------------------------------------------------------------------
    def lookup(self, name: str) -> T:
        """The entry ``name``; an unknown name raises ``KeyError`` listing the valid ones."""
        try:
            return self[name]
        except KeyError:
            raise KeyError(self.unknown(name)) from None

    def unknown(self, name: str) -> str:
        """The one-line error for an unknown name."""
        return f"unknown {self.kind} {name!r}; valid {self.plural}: {', '.join(self)}"

    def describe(self, name: str) -> str:
        self._load_plugins()
        return self._descriptions[name]

    def __getitem__(self, name: str) -> T:
        self._load_plugins()
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        self._load_plugins()
        return iter(self._items)

    def __len__(self) -> int:
        self._load_plugins()
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._items)})"

    # -- plugins -----------------------------------------------------------------------------
    def _load_plugins(self) -> None:
        """Register the entry points of ``thinkscope.<plural>`` once; a broken plugin is
        logged and skipped, never fatal for the built-in entries."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=f"thinkscope.{self.plural}"):
            if ep.name in self._items:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # a third-party bug must not break the tool
                log.warning("plugin %s = %s failed to load: %s", ep.name, ep.value, exc)
                continue
            if ep.name not in self._items:  # loading may have registered it itself
                self.add(ep.name, obj)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0].strip()
