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

from thinkscope.interventions import Example, StudentConfig, number_prompts, tokenize_examples


def _examples(n: int) -> list[Example]:
    # teacher-like data without a teacher: the prompt's numbers continued by +7 steps
    out = []
    for item in number_prompts(n, seed=1):
        start = [int(x) for x in item.prefill.strip(", ").split(", ")]
        more = [(start[-1] + 7 * i) % 1000 for i in range(1, 9)]
        out.append(Example(item.problem_id, item.question,
                           ", ".join(map(str, start + more))))
    return out


def _peft(base: str, cfg: StudentConfig) -> tuple[Any, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from thinkscope.interventions._student import TARGET_MODULES, _tokenizer
    from thinkscope.model_files import model_source

    tok = _tokenizer(base)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_source(base) or base, dtype=torch.float32)
    n = int(model.config.num_hidden_layers)
    lora = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=0.0,
                      target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM",
                      layers_to_transform=list(range(n // 2, n)))
    return get_peft_model(model, lora), tok


def ours(base: str, rows: list[dict[str, list[int]]], cfg: StudentConfig) -> float:
    import torch

    from thinkscope.interventions._student import _batches

    model, tok = _peft(base, cfg)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    model.train()
    t0 = time.perf_counter()
    steps = 0
    for batch in _batches(rows, cfg, tok.pad_token_id):
        loss = model(**batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps += 1
    return (time.perf_counter() - t0) / steps


def trl(base: str, rows: list[dict[str, list[int]]], cfg: StudentConfig) -> float:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    model, tok = _peft(base, cfg)
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
