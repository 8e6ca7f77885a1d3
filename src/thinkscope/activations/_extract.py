"""Teacher-forced activation extraction over stored traces.

One forward pass per batch of whole traces (not ``generate``): forward hooks on the requested
modules gather only the selected positions as they run, and once the last requested layer has
run the pass stops (an exception out of the hook), so layers above it cost nothing. In the same
way each sequence is cut after its last saved position: in a causal LM no earlier position sees
the tokens after it, so they cost nothing either (``last_prompt`` never runs the completion).
Sequences are right-padded and length-sorted to keep padding small; rows are written as fp16
shards, one manifest update per shard, so a killed run resumes with the next unfinished shard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..traces import Trace
from ._layers import component_module, find_blocks, n_layers, parse_layers
from ._positions import Position, parse_rules, select_positions
from ._store import ActivationSet, Manifest, read_manifest, tensor_name, write_manifest
from ._tokens import TraceTokens, trace_tokens


class _StopForward(Exception):
    """Raised by the hook of the last needed module: nothing above it has to run."""


def random_init_like(model: Any, seed: int) -> Any:
    """A model of the same architecture with fresh random weights (the random-init baseline)."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    fresh = AutoModelForCausalLM.from_config(model.config)
    fresh.to(device=next(model.parameters()).device, dtype=next(model.parameters()).dtype)
    return fresh.eval()


class _Capture:
    """Forward hooks that gather the rows ``index`` of each hooked module's output."""

    def __init__(self, model: Any, wanted: list[tuple[str, int]], stop_early: bool) -> None:
        self.index: Any = None
        self.out: dict[tuple[str, int], list[Any]] = {w: [] for w in wanted}
        self.handles = []
        # inside a block attention runs before the MLP, and both before the block's output
        order = {"attn": 0, "mlp": 1, "resid": 2}
        last = max(wanted, key=lambda w: (w[1], order[w[0]]))
        for comp, layer in wanted:
            module = component_module(model, comp, layer)
            stop = stop_early and (comp, layer) == last
            self.handles.append(module.register_forward_hook(self._hook((comp, layer), stop)))

    def _hook(self, key: tuple[str, int], stop: bool) -> Any:
        import torch

        from ..models import hidden_of

        def hook(module: Any, args: Any, output: Any) -> None:
            hidden = hidden_of(output)
            rows, cols = self.index
            # gather and convert in one pass on the device; only fp16 rows cross to the host
            self.out[key].append(hidden[rows, cols].to(torch.float16).cpu())
            if stop:
                raise _StopForward
        return hook

    def reset(self, index: Any) -> None:
        self.index = index
        for v in self.out.values():
            v.clear()

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _shared_blocks(model: Any) -> bool:
    blocks = find_blocks(model)
    return len({id(b) for b in blocks}) != len(blocks)


class _Item(NamedTuple):
    """One trace to run: its tokens, its saved positions, and how many tokens the forward needs
    (up to the last saved position)."""

    tt: TraceTokens
    positions: list[Position]
    needed: int


def _item(tt: TraceTokens, positions: list[Position]) -> _Item:
    return _Item(tt, positions, max((p.position for p in positions), default=-1) + 1)


def _batches(items: list[_Item], max_tokens: int, max_batch: int) -> Iterable[list[_Item]]:
    """Batches of the items with positions, by needed length, at most ``max_tokens`` padded."""
    batch: list[_Item] = []
    width = 0
    for it in sorted((it for it in items if it.positions), key=lambda it: it.needed):
        width = max(width, it.needed)
        if batch and ((len(batch) + 1) * width > max_tokens or len(batch) >= max_batch):
            yield batch
            batch, width = [], it.needed
        batch.append(it)
    if batch:
        yield batch


class _TokenText:
    """Decoded text of single token ids, cached (the metadata names every saved token)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.cache: dict[int, str] = {}

    def __call__(self, token_id: int) -> str:
        text = self.cache.get(token_id)
        if text is None:
            text = self.tokenizer.decode([token_id], skip_special_tokens=False)
            self.cache[token_id] = text
        return text


class _MetaColumns:
    """The metadata table of one shard, built column by column (one row per saved position)."""

    def __init__(self, tokens: _TokenText) -> None:
        self.tokens = tokens
        self.cols: dict[str, list[Any]] = {
            k: [] for k in ("trace_id", "problem_id", "model", "token_id", "token",
                            "token_source", *Position._fields)}

    def add(self, tt: TraceTokens, positions: list[Position]) -> None:
        n, ids, c = len(positions), tt.ids, self.cols
        for k, v in (("trace_id", tt.trace.trace_id), ("problem_id", tt.trace.problem_id),
                     ("model", tt.trace.model.id), ("token_source", tt.token_source)):
            c[k] += [v] * n
        token_ids = [int(ids[p.position]) for p in positions]
        c["token_id"] += token_ids
        c["token"] += [self.tokens(i) for i in token_ids]
        for k, values in zip(Position._fields, zip(*positions)):
            c[k] += values

    def __len__(self) -> int:
        return len(self.cols["trace_id"])

    def frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.cols)


def extract_activations(
    model: Any,
    tokenizer: Any,
    traces: Sequence[Trace],
    out: str | Path,
    layers: str | Iterable[int] = "all",
    positions: str | Iterable[str] = "last_prompt",
    components: Iterable[str] = ("resid",),
    builder: Any = None,
    model_ref: str = "",
    random_init: int | None = None,
    max_tokens: int | None = None,
    max_batch: int = 64,
    shard_traces: int = 512,
    store: str | None = None,
    progress: bool = True,
) -> ActivationSet:
    """Save the activations of ``traces`` at the chosen layers and positions under ``out``.

    Args:
        model, tokenizer: any HF causal LM (already on its device) and its tokenizer.
        layers: layer spec (``all``, ``0,2``, ``1-3``, ``-1``); 0 is the embedding output.
        positions: position rules (see ``POSITION_RULES``).
        components: ``resid`` (block output) and optionally ``attn`` / ``mlp`` outputs.
        builder: prompt builder for traces without stored token ids.
        random_init: replace the weights by a random init of this seed (baseline).
        max_tokens: padded tokens per forward batch; by default 2048 on CPU (small batches stay
            in cache: measured faster than 8192 on organisms) and 8192 on accelerators.
        shard_traces: traces per shard (the unit of resumption).
        store: where the traces came from (recorded for ``probe train``).
    Resumes when ``out`` already holds a manifest of the same settings.
    """
    import torch

    from ..generate import builder_for
    from ..models import pad_batch
    from ..progress import progress_bar

    if random_init is not None:
        model = random_init_like(model, random_init)
    rules = parse_rules(positions)
    comps = list(dict.fromkeys(components))
    layer_list = parse_layers(layers, n_layers(model))
    wanted = [(c, lay) for lay in layer_list for c in comps if not (lay == 0 and c != "resid")]
    builder = builder or builder_for(model_ref or "", tokenizer)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out)
    settings = dict(model=model_ref, layers=layer_list, components=comps, positions=rules,
                    random_init=random_init)
    if manifest is not None:
        have = {k: getattr(manifest, k) for k in settings}
        if have != settings:
            raise ValueError(f"{out} holds activations of other settings ({have}); use a new "
                             f"--out or the same settings to resume")
    else:
        manifest = Manifest(store=store, **settings)  # type: ignore[arg-type]
    done = manifest.done()
    todo = [t for t in traces if t.trace_id not in done]
    capture = _Capture(model, wanted, stop_early=not _shared_blocks(model))
    device = next(model.parameters()).device
    if max_tokens is None:
        max_tokens = 2048 if device.type == "cpu" else 8192
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    token_text = _TokenText(tokenizer)
    bar = progress_bar(total=len(todo), desc="extract", unit="trace", disable=not progress)
    try:
        for s in range(0, len(todo), shard_traces):
            chunk = todo[s: s + shard_traces]
            items = []
            for t in chunk:
                tt = trace_tokens(t, builder, token_text.cache)
                items.append(_item(tt, select_positions(tt, rules)))
            bar.update(sum(1 for it in items if not it.positions))  # nothing to run for these
            meta = _MetaColumns(token_text)
            arrays: dict[str, list[Any]] = {}
            for batch in _batches(items, max_tokens, max_batch):
                ids, mask = pad_batch([tt.ids[:n] for tt, _, n in batch], pad, "right")
                rows, cols = [], []
                for b, (tt, pos, _) in enumerate(batch):
                    rows += [b] * len(pos)
                    cols += [p.position for p in pos]
                    meta.add(tt, pos)
                capture.reset((torch.tensor(rows, device=device),
                               torch.tensor(cols, device=device)))
                with torch.no_grad():
                    try:
                        model(input_ids=ids.to(device), attention_mask=mask.to(device),
                              use_cache=False)
                    except _StopForward:
                        pass
                for (comp, lay), got in capture.out.items():
                    for step, t_ in enumerate(got):
                        name = tensor_name(comp, lay, step if len(got) > 1 else None)
                        arrays.setdefault(name, []).append(t_)
                bar.update(len(batch))
            _write_shard(out, manifest, chunk, meta, arrays)
    finally:
        capture.remove()
        bar.close()
    return ActivationSet(out)


def _write_shard(out: Path, manifest: Manifest, chunk: Sequence[Trace],
                 meta: _MetaColumns, arrays: dict[str, list[Any]]) -> None:
    import torch
    from safetensors.numpy import save_file

    idx = len(manifest.shards)
    tensors = {k: torch.cat(v).numpy() for k, v in arrays.items()}
    if not tensors and meta:
        raise RuntimeError("no activations were captured (hooks did not fire)")
    fname, mname = f"shard-{idx:05d}.safetensors", f"shard-{idx:05d}.parquet"
    save_file(tensors, str(out / fname))
    meta.frame().to_parquet(out / mname, index=False)
    for k, v in tensors.items():
        manifest.d_model = int(v.shape[1])
        if k not in manifest.tensors:
            manifest.tensors.append(k)
    manifest.shards.append(dict(file=fname, meta=mname, n_rows=len(meta),
                                trace_ids=[t.trace_id for t in chunk]))
    write_manifest(out, manifest)
