"""thinkscope: the empirical science of reasoning in language models.

Subpackages: ``traces`` (schema, store, importers), ``text`` (think split, segmentation, answers,
grading), ``cli`` (the ``thinkscope`` command). Import what you need from them; nothing heavy is
imported here.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
