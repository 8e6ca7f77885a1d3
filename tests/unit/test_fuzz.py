"""Fuzzing the importers and the store (hypothesis, derandomized: a fixed, bounded run in CI).

Properties, for every importer and every kind of damage (random byte corruption, truncation,
wrong types, deep nesting, bad encodings, byte-order marks, lone surrogates):
  * no exception escapes ``import_paths``;
  * every record whose line was left intact is stored;
  * every input line is accounted for: stored, already stored, or counted bad and quarantined.
And for the store: damage to the journal or shards gives ``StoreError`` or a correct read —
never another exception, never a deleted shard — and ``fsck(repair=True)`` recovers every trace
whose shard is intact.
"""

import json
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from thinkscope.traces import ModelInfo, StoreError, Trace, TraceStore  # noqa: E402
from thinkscope.traces.io import import_paths  # noqa: E402

FUZZ = settings(max_examples=40, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
N = 6


def chat(i: int) -> dict:
    return {"request": {"messages": [{"role": "user", "content": f"question {i}"}],
                        "temperature": 0.5},
            "response": {"id": f"c{i}", "model": "qwen3-8b", "choices": [{"message": {
                "role": "assistant", "content": f"The answer is {i}.",
                "reasoning_content": f"thinking {i}"}, "finish_reason": "stop",
                "logprobs": {"content": [{"logprob": -0.5}]}}]}}


def bbm(i: int) -> dict:
    return {"input": f"{i} + 1 =", "steps": [f"{i} + 1 = {i + 1}."], "target": str(i + 1),
            "answer": str(i + 1), "mistake_index": None}


def annotated(i: int) -> dict:
    return {"problem_id": f"p{i}", "annotated_response": f'["deduction"]step {i}[end-section]'}


def native(i: int) -> dict:
    return Trace(problem_id=f"p{i}", corpus="c", model=ModelInfo(id="m"),
                 reasoning=f"r{i}").model_dump(mode="json")


FORMATS = {"openai-chat": (chat, "run_x.jsonl"), "bbm": (bbm, "b.jsonl"),
           "annotated": (annotated, "math_model-a.jsonl"), "thinkscope": (native, "t.jsonl")}

WRONG_VALUES = st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
                         st.none(), st.booleans(), st.just([]), st.just({}),
                         st.just({"a": [1, {"b": None}]}))


@st.composite
def damage(draw: st.DrawFn) -> tuple[str, object]:
    kind = draw(st.sampled_from(["flip", "wrong_type", "nest", "bad_utf8", "surrogate",
                                 "truncate", "drop_brace", "empty_object"]))
    return kind, draw(st.tuples(st.integers(0, 10 ** 6), WRONG_VALUES))


def _set_random_leaf(obj: object, seed: int, value: object) -> object:
    """``obj`` with one randomly chosen field (at any depth) replaced by ``value``."""
    paths: list[list] = []

    def walk(o: object, path: list) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                paths.append([*path, k])
                walk(v, [*path, k])
        elif isinstance(o, list):
            for i, v in enumerate(o):
                paths.append([*path, i])
                walk(v, [*path, i])

    walk(obj, [])
    if not paths:
        return value
    path = paths[seed % len(paths)]
    cur = obj
    for p in path[:-1]:
        cur = cur[p]  # type: ignore[index]
    cur[path[-1]] = value  # type: ignore[index]
    return obj


def damaged_line(rec: dict, kind: str, seed: int, value: object) -> bytes:
    line = json.dumps(rec).encode()
    if kind == "flip":
        pos = seed % len(line)
        return line[:pos] + bytes([(line[pos] + 1 + seed % 200) % 256 or 1]) + line[pos + 1:]
    if kind == "wrong_type":
        return json.dumps(_set_random_leaf(rec, seed, value)).encode()
    if kind == "nest":
        depth = 300 + seed % 100_000
        return b"[" * depth + b"]" * depth
    if kind == "bad_utf8":
        pos = seed % len(line)
        return line[:pos] + b"\xff\xfe" + line[pos:]
    if kind == "surrogate":
        return line.replace(b'"', b'"\\udc80', 2)[: len(line) + 6] if b'": "' in line else line
    if kind == "truncate":
        return line[: seed % len(line)]
    if kind == "drop_brace":
        return line[:-1]
    return b"{}"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@FUZZ
@given(hits=st.lists(st.tuples(st.integers(0, N - 1), damage()), min_size=1, max_size=3),
       bom=st.booleans())
def test_importers_lose_no_good_record_and_account_for_every_line(fmt, hits, bom):
    make, name = FORMATS[fmt]
    lines = [json.dumps(make(i)).encode() for i in range(N)]
    damaged: set[int] = set()
    for i, (kind, (seed, value)) in hits:
        new = damaged_line(make(i), kind, seed, value)
        if new != lines[i]:
            lines[i] = new
            damaged.add(i)
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        store = TraceStore(Path(tmp) / "s")
        summary = import_paths([path], store, fmt=fmt, progress=False)  # must not raise
        assert summary.error is None
        stored = store.to_pandas()
        non_empty = sum(1 for ln in lines if ln.strip())
        f = summary.files[0]
        assert f.imported + f.duplicates + f.bad >= non_empty - len(damaged) and f.imported == len(
            stored)
        assert f.bad == store.quarantined_count()
        intact = [i for i in range(N) if i not in damaged]
        key_col = {"openai-chat": "reasoning", "bbm": "reasoning", "annotated": "reasoning",
                   "thinkscope": "reasoning"}[fmt]
        got = set(stored[key_col])
        for i in intact:
            want = {"openai-chat": f"thinking {i}", "bbm": f"{i} + 1 = {i + 1}.",
                    "annotated": f"step {i}", "thinkscope": f"r{i}"}[fmt]
            assert want in got, (i, hits)
        # every line is accounted for: stored (or a duplicate of a stored one) or quarantined
        assert f.imported + f.duplicates + f.bad >= non_empty


@FUZZ
@given(hits=st.lists(st.tuples(st.integers(0, N - 1), damage()), min_size=1, max_size=3))
def test_inspect_and_json_array_importers_keep_the_intact_samples(hits):
    samples = [{"id": f"s{i}", "epoch": 1, "input": f"q{i}", "target": str(i),
                "output": {"model": "m", "choices": [{"message": {
                    "role": "assistant", "content": f"<think>t{i}</think>{i}"}}]}}
               for i in range(N)]
    damaged = set()
    for i, (kind, (seed, value)) in hits:
        if kind == "wrong_type":
            samples[i] = _set_random_leaf(samples[i], seed, value)
            damaged.add(i)
    log = json.dumps({"version": 2, "eval": {"task": "t", "model": "m"}, "samples": samples})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.json"
        path.write_text(log)
        store = TraceStore(Path(tmp) / "s")
        summary = import_paths([path], store, fmt="inspect", progress=False)
        got = set(store.to_pandas()["reasoning"])
        assert {f"t{i}" for i in range(N) if i not in damaged} <= got
        assert summary.files[0].imported + summary.files[0].bad >= N - len(damaged)


def traces(n: int, tag: str) -> list[Trace]:
    return [Trace(problem_id=f"{tag}{i}", corpus="c", model=ModelInfo(id="m"),
                  reasoning=f"{tag} reasoning {i}") for i in range(n)]


@FUZZ
@given(target=st.sampled_from(["journal", "shard", "store.json"]),
       pos=st.integers(0, 10 ** 6), mode=st.sampled_from(["flip", "truncate", "zero"]))
def test_store_damage_is_reported_never_silent_and_repair_recovers_intact_shards(target, pos,
                                                                                 mode):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "s"
        st_ = TraceStore(root)
        for b in range(4):
            st_.append(traces(5, f"b{b}-"))
        shards_before = sorted(p.name for p in (root / "shards").iterdir())
        victim = {"journal": root / "journal.jsonl", "store.json": root / "store.json",
                  "shard": root / "shards" / shards_before[pos % 4]}[target]
        data = bytearray(victim.read_bytes())
        at = pos % len(data)
        if mode == "flip":
            data[at] = (data[at] + 1 + pos % 250) % 256
        elif mode == "truncate":
            data = data[:at]
        else:
            data[at:at + 8] = b"\x00" * len(data[at:at + 8])
        victim.write_bytes(bytes(data))
        try:
            store = TraceStore(root)
            n = len(store.to_pandas())
            assert n <= 20
            report = store.fsck()
            if n < 20:  # something is missing: fsck must say so
                assert not report.ok or report.orphans, report
        except StoreError:
            return  # one-line error: the promised behaviour for an unreadable store
        # nothing was deleted: every shard is still in shards/ or orphans/
        kept = {p.name for d in ("shards", "orphans") if (root / d).exists()
                for p in (root / d).iterdir()}
        assert set(shards_before) <= kept
        try:
            store.fsck(repair=True)
            repaired = TraceStore(root)
            intact = 20 if target != "shard" else 15
            assert len(repaired.to_pandas()) >= intact
        except StoreError:
            assert target == "shard"  # a damaged shard that cannot be read is reported
