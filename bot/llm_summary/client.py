"""The one call to an OpenAI-compatible chat-completions endpoint, bounded in time and size.

A small httpx client rather than the `openai` SDK: it is one POST, httpx is already a
dependency, and the SDK would bring retries (two by default) and timeouts per phase that the
deadline digest would have to undo. Here the whole call — connecting, sending, waiting,
reading — runs under one `asyncio.timeout`, in a thread of its own (the scheduler calls it
from a worker thread, a test from anywhere), so the digest never waits longer than the limit;
an answer over `MAX_ANSWER_BYTES` is cut off and refused. Nothing is retried: a failure means
a digest without a summary, and the log says why."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any, Final

import httpx

MAX_ANSWER_BYTES: Final = 256 * 1024


@dataclass(frozen=True)
class Completion:
    """What the model wrote, and the tokens the endpoint counted (None: it did not say)."""

    content: str
    prompt_tokens: int | None
    completion_tokens: int | None


class CallFailed(Exception):
    """The call gave no usable answer; the message says why, in a few words."""


def complete(
    base_url: str, api_key: str | None, body: dict[str, Any], timeout: float
) -> Completion:
    """POST `body` to ``{base_url}/chat/completions`` and return the first choice's content,
    within `timeout` seconds in all. Raises :class:`CallFailed`."""
    outcome: list[Completion | CallFailed] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(_bounded(base_url, api_key, body, timeout)))
        except CallFailed as failure:
            outcome.append(failure)

    thread = threading.Thread(target=run, name="llm-summary", daemon=True)
    thread.start()
    thread.join()
    if isinstance(outcome[0], CallFailed):
        raise outcome[0]
    return outcome[0]


async def _bounded(
    base_url: str, api_key: str | None, body: dict[str, Any], seconds: float
) -> Completion:
    try:
        async with asyncio.timeout(seconds):
            status, raw = await _post(base_url, api_key, body, seconds)
    except TimeoutError:
        raise CallFailed(f"no answer within {seconds:g} s") from None
    except httpx.HTTPError as error:
        raise CallFailed(f"the request failed: {type(error).__name__}: {error}") from None
    if status != 200:
        raise CallFailed(f"the endpoint answered HTTP {status}: {raw[:200]!r}")
    return _completion(raw)


async def _post(
    base_url: str, api_key: str | None, body: dict[str, Any], seconds: float
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = f"{base_url.rstrip('/')}/chat/completions"
    async with (
        httpx.AsyncClient(timeout=seconds) as client,
        client.stream("POST", url, json=body, headers=headers) as response,
    ):
        raw = bytearray()
        async for chunk in response.aiter_bytes():
            raw += chunk
            if len(raw) > MAX_ANSWER_BYTES:
                raise CallFailed(f"the answer is longer than {MAX_ANSWER_BYTES // 1024} KB")
        return response.status_code, bytes(raw)


def _completion(raw: bytes) -> Completion:
    """The content and token counts of a chat-completions answer."""
    try:
        answer: Any = json.loads(raw)
        content = answer["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise CallFailed(f"the answer is not a chat completion: {raw[:200]!r}") from None
    if not isinstance(content, str):
        raise CallFailed("the answer's message has no text content")
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    return Completion(content, _count(usage, "prompt_tokens"), _count(usage, "completion_tokens"))


def _count(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) else None
