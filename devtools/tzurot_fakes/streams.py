"""Server-sent event answers of the provider fakes (tzurot_fakes.providers), in each API's
own stream format, played token by token:

- OpenAI / OpenRouter: `data: <chat.completion.chunk>` lines (a role chunk, content deltas, a
  finish chunk, the usage chunk when `stream_options.include_usage`), then `data: [DONE]`;
  OpenRouter also sends `: OPENROUTER PROCESSING` comments.
- Anthropic: `event:`/`data:` pairs message_start, content_block_start, ping,
  content_block_delta (text_delta)..., content_block_stop, message_delta (stop_reason,
  cumulative output usage), message_stop.
- Gemini (`streamGenerateContent?alt=sse`): one GenerateContentResponse per event; the last one
  carries finishReason and the whole usageMetadata.

`Reply.token_delay` spaces the tokens out; `Reply.cut_after=N` drops the connection after N
tokens (no final event), as a provider that fails mid-answer.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.responses import StreamingResponse


class StreamCut(Exception):
    """Raised inside the body generator: the server drops the connection mid-stream."""


def tokens(text: str | None) -> list[str]:
    return re.findall(r"\s*\S+", text or "")


def sse(events: Iterable[tuple[str | None, Any]]) -> list[str]:
    out = []
    for event, data in events:
        line = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {event}\n" if event else "") + f"data: {line}\n\n")
    return out


def play(
    head: list[str], pieces: list[list[str]], tail: list[str], reply, *, comment: str | None = None
) -> StreamingResponse:
    """head, then each token's events (token_delay apart), then tail; cut when asked."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in head:
            yield chunk.encode()
        for number, piece in enumerate(pieces):
            if reply.cut_after is not None and number >= reply.cut_after:
                raise StreamCut("the fake provider drops the connection")
            if reply.token_delay:
                await asyncio.sleep(reply.token_delay)
            if comment:
                yield comment.encode()
            for chunk in piece:
                yield chunk.encode()
        for chunk in tail:
            yield chunk.encode()

    return StreamingResponse(body(), media_type="text/event-stream")


def openai_stream(body: dict, reply, *, openrouter: bool = False) -> StreamingResponse:
    model = reply.model or body.get("model", "unknown")

    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> dict:
        return {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion.chunk",
            "created": 1767225600,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }

    head = sse([(None, chunk({"role": "assistant", "content": "", "refusal": None}))])
    pieces = [sse([(None, chunk({"content": token}))]) for token in tokens(reply.text)]
    tail_events: list[tuple[str | None, Any]] = [(None, chunk({}, reply.finish_reason or "stop"))]
    if (body.get("stream_options") or {}).get("include_usage"):
        usage = {
            "prompt_tokens": reply.tokens_in,
            "completion_tokens": reply.tokens_out,
            "total_tokens": reply.tokens_in + reply.tokens_out,
        }
        tail_events.append((None, {**chunk({}), "choices": [], "usage": usage}))
    tail_events.append((None, "[DONE]"))
    comment = ": OPENROUTER PROCESSING\n\n" if openrouter else None
    return play(head, pieces, sse(tail_events), reply, comment=comment)


def anthropic_stream(body: dict, reply) -> StreamingResponse:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_fake0001",
            "type": "message",
            "role": "assistant",
            "model": reply.model or body.get("model", "unknown"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": reply.tokens_in,
                "output_tokens": 1,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        },
    }
    head = sse(
        [
            ("message_start", start),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            ("ping", {"type": "ping"}),
        ]
    )
    pieces = [
        sse(
            [
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": token},
                    },
                )
            ]
        )
        for token in tokens(reply.text)
    ]
    tail = sse(
        [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {
                        "stop_reason": reply.finish_reason or "end_turn",
                        "stop_sequence": None,
                    },
                    "usage": {"output_tokens": reply.tokens_out},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    )
    return play(head, pieces, tail, reply)


def gemini_stream(model: str, reply) -> StreamingResponse:
    words = tokens(reply.text) or [""]

    def response(text: str, last: bool) -> dict:
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        usage: dict[str, Any] = {
            "promptTokenCount": reply.tokens_in,
            "totalTokenCount": reply.tokens_in,
        }
        if last:
            candidate["finishReason"] = reply.finish_reason or "STOP"
            usage = {
                "promptTokenCount": reply.tokens_in,
                "candidatesTokenCount": reply.tokens_out,
                "totalTokenCount": reply.tokens_in + reply.tokens_out,
            }
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": reply.model or model,
            "responseId": "fake-response-0001",
        }

    pieces = [
        sse([(None, response(word, number == len(words) - 1))]) for number, word in enumerate(words)
    ]
    return play([], pieces, [], reply)
