"""The causal check: push (or ablate) the probe direction in the residual stream during
generation and compare how often the answer changes with random directions of the same norm.

A direction that decodes a value but does not move the answer more than a random direction of
equal size is a correlate, not something the model uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..text import same_answer
from ..traces import Trace


def _same(a: str, b: str) -> bool:
    """Answers equal by grading's equivalence; two empty answers (none written) are the same."""
    return (not a and not b) or same_answer(a or None, b or None)


def _edit(module: Any, vectors: Any, mode: str) -> Any:
    """A context in which ``vectors`` are added to (``add``) or their directions projected out
    of (``ablate``) the module's output at every position. ``vectors`` is one vector for every
    row, or one per batch row (``[rows, hidden]``): rows steered along different directions and
    strengths then share one batched generation."""
    import torch

    from ..models import forward_hook, hidden_of, with_hidden

    per_row = vectors.dim() == 2
    units = vectors / torch.linalg.vector_norm(vectors, dim=-1, keepdim=True)

    def hook(mod: Any, args: Any, output: Any) -> Any:
        hidden = hidden_of(output)
        v = (vectors if mode == "add" else units).to(hidden.dtype)
        if per_row:
            v = v[:, None, :]
        if mode == "add":
            return with_hidden(output, hidden + v)
        return with_hidden(output, hidden - (hidden * v).sum(-1, keepdim=True) * v)

    return forward_hook(module, hook)


def _prompts(traces: Sequence[Trace], builder: Any) -> list[list[int]]:
    from ..traces import question_of

    return [list(t.prompt_token_ids) if t.prompt_token_ids
            else builder.prompt_ids(question_of(t), open_think=True) for t in traces]


def _generate(model: Any, tokenizer: Any, prompts: list[list[int]], max_new_tokens: int,
              batch_size: int, inside_think: bool = True, edit: Any = None,
              bar: Any = None) -> list[str]:
    """Greedy answers to ``prompts``; ``edit`` = (module, per-row vectors, mode) steers each
    row by its own vector."""
    from contextlib import nullcontext

    import torch

    from ..models import pad_batch
    from ..text import extract_answer

    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    answers: list[str] = []
    for i in range(0, len(prompts), batch_size):
        chunk = prompts[i: i + batch_size]
        ids, mask = pad_batch(chunk, pad, "left")
        width = ids.shape[1]
        steering = (_edit(edit[0], edit[1][i: i + batch_size], edit[2]) if edit is not None
                    else nullcontext())
        with torch.no_grad(), steering:
            gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                 max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=pad, eos_token_id=tokenizer.eos_token_id)
        for row in gen[:, width:]:
            text = tokenizer.decode(row, skip_special_tokens=True)
            answers.append(extract_answer(text, starts_inside_think=inside_think).value or "")
        if bar is not None:
            bar.update(len(chunk))
    return answers


def residual_norm(model: Any, tokenizer: Any, prompts: list[list[int]], layer: int) -> float:
    """Mean L2 norm of the residual stream at ``layer`` over the prompts' tokens (the scale
    steering strengths are given in)."""
    import torch

    from ..activations import component_module
    from ..models import forward_hook, hidden_of

    norms: list[float] = []

    def hook(mod: Any, args: Any, output: Any) -> None:
        norms.append(float(torch.linalg.vector_norm(hidden_of(output).float(), dim=-1).mean()))

    device = next(model.parameters()).device
    with forward_hook(component_module(model, "resid", layer), hook), torch.no_grad():
        for p in prompts[:64]:
            model(input_ids=torch.tensor([p], device=device))
    return float(np.mean(norms))


def steer(
    model: Any,
    tokenizer: Any,
    traces: Sequence[Trace],
    direction: np.ndarray,
    layer: int,
    alpha: float | Sequence[float] = 1.0,
    mode: str = "add",
    n_random: int = 8,
    max_new_tokens: int = 64,
    batch_size: int = 64,
    builder: Any = None,
    target_answer: str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Answer-change rates when steering along ``direction`` vs ``n_random`` random directions.

    ``alpha`` is the added vector's norm in units of the layer's mean residual norm (``add``);
    ``ablate`` projects the direction out instead. Returns a tidy table (trace x condition) and
    a summary with Wilson CIs and n.

    Several alphas sweep the strength (the unsteered answers are generated once): how hard a
    push a model takes before its output breaks differs by orders of magnitude between models,
    so one strength tuned on one model means nothing on another. The summary then has one entry
    per alpha under ``sweep`` and, at top level, the strongest alpha whose random directions
    lose the answer at most ``MAX_BROKEN`` more often than unsteered outputs (``alpha_rule``
    says so): a change along the probe there is not just a broken output.
    """
    import pandas as pd
    import torch

    from ..activations import component_module
    from ..generate import builder_for
    from ..progress import progress_bar

    if mode not in ("add", "ablate"):
        raise ValueError("mode must be 'add' or 'ablate'")
    builder = builder or builder_for("", tokenizer)
    prompts = _prompts(traces, builder)
    module = component_module(model, "resid", layer)
    device = next(model.parameters()).device
    d = torch.tensor(np.asarray(direction, dtype=np.float32), device=device)
    norm = residual_norm(model, tokenizer, prompts, layer)
    gen = torch.Generator().manual_seed(seed)
    dirs = [("probe", d)] + [(f"random{j}", torch.randn(d.shape[0], generator=gen).to(device))
                             for j in range(n_random)]
    inside = bool(builder.writes_think)
    alphas = [float(alpha)] if isinstance(alpha, (int, float)) else [float(a) for a in alpha]
    if not alphas:
        raise ValueError("steer needs at least one alpha")
    if mode == "ablate":
        alphas = alphas[:1]  # projecting out has no strength
    base = _generate(model, tokenizer, prompts, max_new_tokens, batch_size, inside)
    # every (strength, direction, trace) is one row of a few large batches rather than one
    # small batch per direction: on CPU a wider batch costs little more per decoding step
    scale = (lambda a: a * norm) if mode == "add" else (lambda a: 1.0)
    conditions = [(a_val, name, v / torch.linalg.vector_norm(v) * scale(a_val))
                  for a_val in alphas for name, v in dirs]
    vectors = torch.stack([vec for _, _, vec in conditions for _ in prompts])
    bar = progress_bar(total=len(vectors), desc=f"steer L{layer}", disable=not progress)
    got = _generate(model, tokenizer, [p for _ in conditions for p in prompts], max_new_tokens,
                    batch_size, inside, edit=(module, vectors, mode), bar=bar)
    bar.close()
    rows = []
    for c, (a_val, name, _) in enumerate(conditions):
        for t, b, a in zip(traces, base, got[c * len(prompts): (c + 1) * len(prompts)]):
            rows.append(dict(trace_id=t.trace_id, problem_id=t.problem_id, condition=name,
                             kind="probe" if name == "probe" else "random", layer=layer,
                             alpha=a_val, mode=mode, base_answer=b, answer=a,
                             changed=not _same(a, b),
                             to_target=same_answer(a, target_answer)
                             if target_answer is not None else None))
    table = pd.DataFrame(rows)
    sweep = [_alpha_summary(table[table["alpha"] == a], target_answer is not None)
             for a in alphas]
    for a_val, entry in zip(alphas, sweep):
        entry["alpha"] = a_val
    from ..stats import proportion

    unsteered = proportion(sum(b == "" for b in base), len(base))
    floor = unsteered["value"] or 0.0
    intact = [e for e in sweep if e["random_no_answer"]["value"] is not None
              and e["random_no_answer"]["value"] <= floor + MAX_BROKEN]
    chosen = max(intact, key=lambda e: e["alpha"]) if intact else min(sweep,
                                                                       key=lambda e: e["alpha"])
    summary: dict[str, Any] = {"layer": layer, "mode": mode, "residual_norm": round(norm, 4),
                               "n_traces": len(traces), "n_random": n_random,
                               "unsteered_no_answer": unsteered, **chosen}
    if len(alphas) > 1:
        summary["sweep"] = sweep
        summary["alpha_rule"] = (
            f"strongest alpha whose random-direction outputs have no answer at most "
            f"{MAX_BROKEN:.0%} more often than unsteered ones" if intact else
            f"no alpha kept random outputs intact (at most {MAX_BROKEN:.0%} more without an "
            "answer than unsteered): the weakest is shown")
    return table, summary


#: how much more often than unsteered ones random-direction outputs may lack an answer before
#: a strength counts as breaking the model
MAX_BROKEN = 0.1


def _alpha_summary(table: Any, with_target: bool) -> dict[str, Any]:
    """Change rates along the probe and along random directions at one strength, each with the
    no-answer rate beside it (a push that breaks the output also "changes" the answer)."""
    from ..stats import proportion

    out: dict[str, Any] = {}
    for kind in ("probe", "random"):
        sub = table[table["kind"] == kind]
        out[kind] = proportion(int(sub["changed"].sum()), len(sub))
        out[kind + "_no_answer"] = proportion(int((sub["answer"] == "").sum()), len(sub))
        if with_target:
            out[kind + "_to_target"] = proportion(int(sub["to_target"].sum()), len(sub))
    per = table[table["kind"] == "random"].groupby("condition")["changed"].mean()
    out["random_per_direction"] = [round(float(x), 4) for x in per]
    return out
