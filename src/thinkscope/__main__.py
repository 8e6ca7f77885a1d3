"""``python -m thinkscope`` is the same as the ``thinkscope`` command."""

from thinkscope.cli import main

main()
