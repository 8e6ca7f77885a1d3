"""The OpenAI-compatible backend against a local server speaking the chat-completions shape,
including a 500, a timeout, a malformed body and a flaky endpoint: failures never become traces
and are retried on resume."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from thinkscope.generate import CorpusItem, PromptBuilder, Sampling, run_generation
from thinkscope.generate.openai_http import OpenAIBackend
from thinkscope.traces import TraceStore

CALLS: dict[str, int] = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["messages"][-1]["content"] if "messages" in body else str(body["prompt"])
        key = text.split()[0]
        CALLS[key] = CALLS.get(key, 0) + 1
        if key == "FAIL500":
            return self._send(500, b'{"error": "internal"}')
        if key == "TIMEOUT":
            time.sleep(1.0)
        if key == "MALFORMED":
            return self._send(200, b'{"choices": [{"message": ')
        if key == "FLAKY" and CALLS[key] == 1:
            return self._send(503, b"busy")
        if key == "BADREQ":
            return self._send(400, b'{"error": "bad request"}')
        if "messages" in body:
            choice = {"index": 0, "finish_reason": "stop",
                      "message": {"role": "assistant", "content": "The answer is \\boxed{4}.",
                                  "reasoning_content": f"thinking about {key}"},
                      "logprobs": {"content": [{"token": "4", "logprob": -0.5}]}}
        else:
            choice = {"index": 0, "finish_reason": "length", "text": " 4",
                      "logprobs": {"token_logprobs": [-0.25]}}
        payload = {"id": "x", "object": "chat.completion", "model": body["model"],
                   "choices": [choice]}
        self._send(200, json.dumps(payload).encode())

    def _send(self, code, data):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # clients that time out hang up on us
        pass


@pytest.fixture(scope="module")
def server():
    srv = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_failures_are_recorded_never_stored_and_retried(server, tmp_path):
    CALLS.clear()
    backend = OpenAIBackend("served-model", base_url=server, concurrency=4, max_retries=2,
                            timeout=0.3, backoff=0.01)
    builder = PromptBuilder(tokenizer=None, instruction=None)
    items = [CorpusItem(f"p{i}", f"{q} 2+2?", "4") for i, q in
             enumerate(["OK", "FAIL500", "TIMEOUT", "MALFORMED", "FLAKY", "BADREQ", "OK2"])]
    store = TraceStore(tmp_path / "s")
    res = run_generation(backend, builder, items, store, "c", sampling=Sampling(max_tokens=8),
                         progress=False)
    assert (res.written, res.failed) == (3, 4)
    df = store.to_pandas()
    assert sorted(df["problem_id"]) == ["p0", "p4", "p6"]
    t = store.get(df["trace_id"].iloc[0])
    assert t.reasoning.startswith("thinking about") and t.extracted_answer == "4"
    assert t.correct is True and t.completion_logprobs == [-0.5]
    assert CALLS["FAIL500"] == 3 and CALLS["MALFORMED"] == 3  # 1 try + 2 retries
    assert CALLS["BADREQ"] == 1  # a 4xx other than 408/409/425/429 is not retried
    assert CALLS["FLAKY"] == 2  # recovered on retry
    failures = [json.loads(x) for f in (tmp_path / "s" / "failures").glob("*.jsonl")
                for x in f.read_text().splitlines()]
    assert sorted(f["problem_id"] for f in failures) == ["p1", "p2", "p3", "p5"]
    assert any("timeout" in f["error"] for f in failures)
    # resume: only the failed ones are asked again, and still never stored
    res2 = run_generation(backend, builder, items, store, "c", sampling=Sampling(max_tokens=8),
                          progress=False)
    assert (res2.written, res2.already_stored, res2.failed) == (0, 3, 4)
    assert CALLS["OK"] == 1 and CALLS["FAIL500"] == 6
    assert len(store) == 3


def test_continue_from_token_ids_uses_completions(server):
    backend = OpenAIBackend("served-model", base_url=server, backoff=0.01)
    (c,) = backend.continue_from([1, 2, 3], Sampling(max_tokens=1))
    assert (c.text, c.finish_reason, c.logprobs) == (" 4", "length", [-0.25])
