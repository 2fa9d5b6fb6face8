"""Run an ASGI app (a fake Discord or provider API) on a loopback port in a background thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tzurot.dev.stack import serve_app


@contextmanager
def serve(app, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:`port` (0: any free port); yields its base URL (no trailing
    slash) and stops it on exit."""
    serving = serve_app(app, port, name="fake")
    try:
        yield serving.url
    finally:
        serving.stop()
