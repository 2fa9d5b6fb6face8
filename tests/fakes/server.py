"""Run an ASGI app on a loopback port: `serve` lives in tzurot_fakes.server (the dev stack
serves the provider fakes too)."""

from tzurot_fakes.server import serve

__all__ = ["serve"]
