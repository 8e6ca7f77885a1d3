"""LoRA student training (the transmission experiment's costliest stage), side by side in one
run: the plain torch loop of ``thinkscope.interventions.train_student`` vs TRL's ``SFTTrainer``
on the same model, adapters (upper half of the blocks, r 16), pre-tokenised examples with the
loss on the answer only, batch size and number of steps. Both start from the same base; the
time is the training loop alone (model and trainer set-up excluded), best of ``--repeats``.

``ratio: X`` = TRL seconds per step / ours.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

from thinkscope.interventions import (
    Example,
    StudentConfig,
    fit,
    lora_student,
    number_prompts,
    tokenize_examples,
)


def _examples(n: int) -> list[Example]:
    # teacher-like data without a teacher: the prompt's numbers continued by +7 steps
    out = []
    for item in number_prompts(n, seed=1):
        start = [int(x) for x in item.prefill.strip(", ").split(", ")]
        more = [(start[-1] + 7 * i) % 1000 for i in range(1, 9)]
        out.append(Example(item.problem_id, item.question,
                           ", ".join(map(str, start + more))))
    return out


def ours(base: str, rows: list[dict[str, list[int]]], cfg: StudentConfig) -> float:
    model, tok = lora_student(base, cfg)
    t0 = time.perf_counter()
    steps = len(fit(model, rows, cfg, tok.pad_token_id, progress=False))
    return (time.perf_counter() - t0) / steps


def trl(base: str, rows: list[dict[str, list[int]]], cfg: StudentConfig) -> float:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    model, tok = lora_student(base, cfg)
    marks: list[float] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_train_begin(self, *a: Any, **k: Any) -> None:
            marks.append(time.perf_counter())

        def on_train_end(self, *a: Any, **k: Any) -> None:
            marks.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        args = SFTConfig(output_dir=tmp, num_train_epochs=cfg.epochs,
                         per_device_train_batch_size=cfg.batch_size, learning_rate=cfg.lr,
                         save_strategy="no", report_to=[], use_cpu=True, bf16=False,
                         completion_only_loss=True, max_length=None, disable_tqdm=True,
                         gradient_checkpointing=False, logging_steps=1000, seed=0)
        trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows),
                             processing_class=tok, callbacks=[Clock()])
        result = trainer.train()
    return (marks[1] - marks[0]) / int(result.global_step)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="pkg:smollm2-135m-instruct")
    ap.add_argument("--examples", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    cfg = StudentConfig(epochs=1, batch_size=args.batch_size)
    from thinkscope.interventions._student import _tokenizer

    rows = tokenize_examples(_tokenizer(args.model), _examples(args.examples))
    tokens = sum(len(r["input_ids"]) for r in rows)
    a, b = [], []
    for _ in range(args.repeats):  # round robin
        a.append(ours(args.model, rows, cfg))
        b.append(trl(args.model, rows, cfg))
    print(f"model: {args.model}, {len(rows)} examples ({tokens} tokens), batch "
          f"{cfg.batch_size}, {len(rows) // cfg.batch_size} steps per run, best of "
          f"{args.repeats}")
    print(f"ours: {min(a):.2f} s/step; TRL SFTTrainer: {min(b):.2f} s/step")
    print(f"ratio: {min(b) / min(a):.2f}")


if __name__ == "__main__":
    main()
