"""Run every benchmark in this folder, one after the other, printing each one's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
#: benchmarks that run a second time on a real LM (generation.py measures one itself)
REAL_MODEL = "pkg:smollm2-135m-instruct"
REAL = {
    "truncation.py": ["--corpus", "gsm8k", "--traces", "12", "--max-tokens", "384"],
    "extraction.py": ["--corpus", "gsm8k", "--traces", "48", "--gen-tokens", "256",
                      "--repeats", "3"],
}


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name == "run_all.py":
            continue
        print(f"== {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script), *sys.argv[1:]])
        failed += rc != 0
        if script.name in REAL:
            print(f"== {script.name} on {REAL_MODEL}", flush=True)
            rc = subprocess.call([sys.executable, str(script), "--model", REAL_MODEL,
                                  *REAL[script.name], *sys.argv[1:]])
            failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
