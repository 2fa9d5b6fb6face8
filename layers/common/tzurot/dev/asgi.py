"""Adapter: the interactions endpoint as an ASGI app (`POST /interactions`) for `tzurot dev`.

Same core as the Lambda adapter; this only moves bytes. The body is read with a cap so an
oversized request is refused (413) without buffering it whole, and with a deadline so a client
that sends it slowly (a byte a second) gets 408 instead of holding a connection and a worker
forever; the server closes idle keep-alive connections after `KEEP_ALIVE_SECONDS`
(tzurot.dev.stack.serve_app).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tzurot.discord.endpoint import (
    MAX_BODY_BYTES,
    TOO_LARGE,
    HttpResponse,
    InteractionEndpoint,
    default_endpoint,
)

BODY_SECONDS = 10.0  # Discord sends a few KB at once; nothing honest takes this long
KEEP_ALIVE_SECONDS = 5
TIMED_OUT = HttpResponse(408, {"content-type": "application/json"}, b'{"error":"request timeout"}')


def _response(result: HttpResponse) -> Response:
    return Response(result.body, status_code=result.status, headers=result.headers)


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None once it grows past MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def create_app(endpoint: Callable[[], InteractionEndpoint] = default_endpoint) -> Starlette:
    """`endpoint` is called per request, so a reconfigured environment takes effect at once."""

    async def interactions(request: Request) -> Response:
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body = await _read_capped(request)
        except TimeoutError:
            return _response(TIMED_OUT)
        if body is None:
            return _response(TOO_LARGE)
        # The core blocks (SQS, KMS, database): keep it off the event loop.
        result = await run_in_threadpool(endpoint().handle, dict(request.headers), body)
        return _response(result)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/interactions", interactions, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
