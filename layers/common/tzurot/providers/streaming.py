"""Server-sent events from the providers, read as they arrive.

`stream_events` sends one request through a provider's ProviderHTTP and yields the JSON of
each SSE `data:` field (with its `event:` name): OpenAI and OpenRouter (`data: {chunk}` lines
ending with `data: [DONE]`, OpenRouter's `: comment` keep-alives), Anthropic (`event: ...` +
`data: {...}` pairs, errors as `event: error`), Gemini (`streamGenerateContent?alt=sse`, one
GenerateContentResponse per event). A failed status is read whole and classified like a
non-streamed call; a stream cut mid-way is ProviderUnavailable (retryable: the worker asks
again and the new answer replaces what was shown, so nothing shows twice).

`TextSink` is what a streaming provider calls with the whole text so far, after each piece.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tzurot.providers.errors import ProviderUnavailable
from tzurot.providers.http import CHAT_TIMEOUT

if TYPE_CHECKING:
    from tzurot.providers.http import ProviderHTTP

TextSink = Callable[[str], None]


def sse_events(lines: Iterable[str]) -> Iterator[tuple[str | None, str]]:
    """(event name, data) per event of a text/event-stream (WHATWG rules: a blank line ends an
    event, `:` starts a comment, several data lines join with newlines)."""
    event: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield event, "\n".join(data)


def stream_events(
    http: ProviderHTTP,
    method: str,
    path: str,
    *,
    api_key: str,
    headers: Mapping[str, str],
    json_body: Any,
    params: Mapping[str, Any] | None = None,
) -> Iterator[tuple[str | None, Any]]:
    """Send the request and yield (event, parsed data) as events arrive; `[DONE]` ends it."""
    with (
        http.transport_errors("stopped answering mid-way"),
        http.client.stream(
            method,
            http.base_url + path,
            headers={**headers, "accept": "text/event-stream"},
            json=json_body,
            params=params,
            timeout=http.timeout or CHAT_TIMEOUT,
        ) as response,
    ):
        if not response.is_success:
            response.read()
            try:
                body = response.json()
            except ValueError:
                body = None
            raise http.error(response.status_code, body, api_key, headers=response.headers)
        for event, data in sse_events(response.iter_lines()):
            if data == "[DONE]":
                return
            try:
                yield event, json.loads(data)
            except ValueError:
                continue  # not JSON: nothing a provider documents; skip it


def ended_early(http: ProviderHTTP) -> ProviderUnavailable:
    """A stream that closed without its final event (the answer may be cut short)."""
    return http.fail(ProviderUnavailable(provider=http.label, detail="stopped answering mid-way"))


class Accumulator:
    """The text so far; tells the sink after each piece that adds something."""

    def __init__(self, sink: TextSink | None):
        self._parts: list[str] = []
        self._sink = sink

    def add(self, piece: Any) -> None:
        if isinstance(piece, str) and piece:
            self._parts.append(piece)
            if self._sink is not None:
                self._sink(self.text)

    @property
    def text(self) -> str:
        return "".join(self._parts)
