"""The fakes' streams are the real formats: each official SDK (test-only dependencies) reads a
streamed answer of the loopback fake and gets the text, stop reason and usage the fake was
scripted with; and the app's providers read streams built from the SDKs' own event types."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.providers import FakeAnthropic, FakeGemini, FakeOpenAI, FakeOpenRouter
from tests.fakes.server import serve
from tzurot.providers.anthropic import AnthropicProvider
from tzurot.providers.base import ChatMessage, ChatRequest
from tzurot.providers.openai import OpenAIProvider

TEXT = "Streams arrive one token at a time."
REQUEST = ChatRequest(model="m", system="s", messages=[ChatMessage("user", "hi")])


@pytest.mark.parametrize("fake_class", [FakeOpenAI, FakeOpenRouter])
def test_openai_sdk_reads_the_fake_chat_stream(fake_class):
    openai = pytest.importorskip("openai")
    fake = fake_class(valid_keys=["sk-test"])
    fake.queue_reply(text=TEXT, tokens_in=11, tokens_out=7)
    with fake.serve() as url:
        client = openai.OpenAI(api_key="sk-test", base_url=url, max_retries=0)
        chunks = list(
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == TEXT
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.prompt_tokens == 11 and chunks[-1].usage.completion_tokens == 7


def test_anthropic_sdk_reads_the_fake_message_stream():
    anthropic = pytest.importorskip("anthropic")
    fake = FakeAnthropic(valid_keys=["sk-ant-test"])
    fake.queue_reply(text=TEXT, tokens_in=13, tokens_out=8)
    with fake.serve() as url:
        client = anthropic.Anthropic(
            api_key="sk-ant-test",
            base_url=url,
            max_retries=0,
            default_headers={"x-api-key": "sk-ant-test"},  # this SDK version sends a bearer
        )
        with client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            text = "".join(stream.text_stream)
            message = stream.get_final_message()
    assert text == TEXT
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (13, 8)


def test_google_genai_sdk_reads_the_fake_content_stream():
    genai = pytest.importorskip("google.genai")
    fake = FakeGemini(valid_keys=["AIza-test"])
    fake.queue_reply(text=TEXT, tokens_in=9, tokens_out=6)
    with fake.serve() as url:
        # The app calls v1beta (as the fake serves); this SDK version defaults to v1.
        options = {"base_url": url, "api_version": "v1beta"}
        client = genai.Client(api_key="AIza-test", http_options=options)
        chunks = list(
            client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")
        )
    assert "".join(c.text or "" for c in chunks) == TEXT
    assert chunks[-1].candidates[0].finish_reason.name == "STOP"
    assert chunks[-1].usage_metadata.candidates_token_count == 6


def serve_events(body: str):
    """A loopback server answering any POST with `body` as an event stream."""

    async def answer(request):
        return Response(body, media_type="text/event-stream")

    return serve(Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])]))


def test_the_openai_provider_reads_chunks_built_with_the_sdk_types():
    chunk_type = pytest.importorskip("openai.types.chat").ChatCompletionChunk
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    chunks = [
        chunk_type(**base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}}]),
        chunk_type(**base, choices=[{"index": 0, "delta": {"content": "Hel"}}]),
        chunk_type(**base, choices=[{"index": 0, "delta": {"content": "lo"}}]),
        chunk_type(**base, choices=[{"index": 0, "delta": {}, "finish_reason": "length"}]),
        chunk_type(**base, choices=[], usage={"prompt_tokens": 5, "completion_tokens": 2,
                                              "total_tokens": 7}),
    ]  # fmt: skip
    body = "".join(f"data: {c.model_dump_json(exclude_unset=True)}\n\n" for c in chunks)
    seen: list[str] = []
    with serve_events(body + "data: [DONE]\n\n") as url:
        result = OpenAIProvider(url).chat_stream("sk-test", REQUEST, seen.append)
    assert seen == ["Hel", "Hello"]
    assert (result.text, result.tokens_in, result.tokens_out) == ("Hello", 5, 2)
    assert (result.finish_reason, result.model) == ("length", "gpt-4o")


def test_the_anthropic_provider_reads_events_built_with_the_sdk_types():
    types = pytest.importorskip("anthropic.types")
    adapter = pytest.importorskip("pydantic").TypeAdapter(types.RawMessageStreamEvent)
    events = [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 21, "output_tokens": 1, "cache_read_input_tokens": 4}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "hmm"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "text_delta", "text": "Hi there"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
         "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]  # fmt: skip
    body = ""
    for raw in events:
        event = adapter.validate_python(raw)  # the SDK's own type accepts it
        body += f"event: {event.type}\ndata: {json.dumps(event.model_dump(exclude_unset=True))}\n\n"
    seen: list[str] = []
    with serve_events(body) as url:
        result = AnthropicProvider(url).chat_stream("sk-ant-test", REQUEST, seen.append)
    assert seen == ["Hi there"]  # the thinking is not the reply
    assert (result.text, result.tokens_in, result.tokens_out) == ("Hi there", 25, 9)
    assert result.finish_reason == "length"
