"""Adapter: the interactions endpoint as an ASGI app (`POST /interactions`) for `tzurot dev`.

Same core as the Lambda adapter; this only moves bytes. The body is read with a cap so an
oversized request is refused (413) without buffering it whole.
"""

from __future__ import annotations

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
        body = await _read_capped(request)
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
