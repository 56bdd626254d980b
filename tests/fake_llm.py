"""A fake OpenAI-compatible chat-completions endpoint over real HTTP on 127.0.0.1, for the
written-summary tests: it records each request (its JSON body and headers) and answers as the
test says — a good completion, an error status, garbage, a huge body, or nothing until after
the caller's time limit. It runs in a thread of its own, because the scheduler calls the
model synchronously from the test's thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """What the fake answers: a status and a body, after waiting for `release` (set by the
    test when it is done) when `hold` is true, or dribbled out when `trickle` is."""

    status: int
    body: bytes
    hold: bool = False
    trickle: bool = False
    """Send the headers, then the body a byte at a time, each a tenth of a second after the
    last, until `release`: every single read is quick, the whole answer never comes."""


def completion(sentences: list[dict[str, Any]], usage: tuple[int, int] = (812, 96)) -> Reply:
    """A chat completion whose content is the JSON summary of `sentences`."""
    content = json.dumps({"sentences": sentences}, ensure_ascii=False)
    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }
    return Reply(200, json.dumps(answer, ensure_ascii=False).encode("utf-8"))


@dataclass
class FakeModel:
    """The endpoint's address, what it received, and how it answers (`answer`, given each
    request's body)."""

    base_url: str
    answer: Callable[[dict[str, Any]], Reply]
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def prompt(self, index: int = 0) -> str:
        """The system and user messages of request `index`, as one text."""
        return "\n".join(m["content"] for m in self.received[index]["messages"])

    def data(self, index: int = 0) -> dict[str, Any]:
        """The month's material of request `index`: the JSON between <data> and </data>."""
        user = self.received[index]["messages"][-1]["content"]
        inside = user.removeprefix("<data>\n").removesuffix("\n</data>")
        parsed: dict[str, Any] = json.loads(inside)
        return parsed

    def label(self, words: str) -> str:
        """The label the first request gave the member whose answers contain `words`."""
        for member in self.data()["members"]:
            if any(words in answer for answer in member["answers"].values()):
                return str(member["label"])
        raise AssertionError(f"no member's answers contain {words!r}")


@contextmanager
def fake_model(answer: Callable[[dict[str, Any]], Reply]) -> Iterator[FakeModel]:
    """Serve the fake endpoint for the block, at ``http://127.0.0.1:<port>/v1``."""
    model = FakeModel("", answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            model.received.append(body)
            model.headers.append(dict(self.headers))
            reply = (
                model.answer(body)
                if self.path == "/v1/chat/completions"
                else Reply(404, b"not found")
            )
            if reply.hold:
                model.release.wait(30)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if not reply.trickle:
                    self.wfile.write(reply.body)
                for byte in reply.body if reply.trickle else b"":
                    if model.release.wait(0.1):
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:  # the caller gave up waiting and went away
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read what was received, not a log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    model.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield model
    finally:
        model.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
