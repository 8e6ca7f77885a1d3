"""``python -m thinkscope`` is the same as the ``thinkscope`` command (guarded: vLLM's engine
process re-imports the main module when it spawns)."""

from thinkscope.cli import main

if __name__ == "__main__":
    main()
