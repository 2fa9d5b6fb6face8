"""A loopback stand-in for Discord's CDN: serves attachment bytes at
/attachments/{channel}/{id}/{filename} with their Content-Type and Content-Length, records every
GET, and builds the attachment objects Discord puts in `resolved.attachments` and messages.

    with FakeCDN().serve() as base_url:   # what DISCORD_CDN_BASE_URL holds in tests
        attachment = cdn.add("cat.png", PNG)          # a Discord attachment object
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.providers import make_png
from tests.fakes.server import serve

PNG = make_png(8, 8, (10, 200, 30))
# A real 1x1 baseline JPEG (JFIF header, quantisation table, frame, scan, end of image).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300030202020203020202030303030406040404"
    "0404080606050609080a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f10"
    "1010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2cf20ffd9"
)


def gif(frames: int = 2) -> bytes:
    """A real 1x1 GIF89a with a two-colour table and `frames` frames."""
    frame = bytes.fromhex("2c00000000010001000002024401" + "00")
    return (
        b"GIF89a" + bytes.fromhex("0100010080" + "0000") + bytes.fromhex("000000ffffff")
        + frame * frames + b";"
    )  # fmt: skip


class FakeCDN:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        self.base_url = ""
        self._ids = itertools.count(900000000000000001)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/attachments/{rest:path}", self._get)])

    def reset(self) -> None:
        with self._lock:
            self.files.clear()
            self.requests.clear()

    def add(self, filename: str, data: bytes, content_type: str = "image/png", **fields) -> dict:
        """Serve `data` and return its attachment object, as Discord sends it."""
        attachment_id = str(next(self._ids))
        path = f"/attachments/300000000000000009/{attachment_id}/{filename}"
        with self._lock:
            self.files[path] = (data, content_type)
        url = f"{self.base_url}{path}?ex=6790&is=678f&hm=abc123"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
            **fields,
        }

    async def _get(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request.url.path)
            found = self.files.get(request.url.path)
        if found is None:
            return PlainTextResponse("This content is no longer available.", status_code=404)
        data, content_type = found
        return Response(data, media_type=content_type)

    @contextmanager
    def serve(self) -> Iterator[str]:
        with serve(self.app) as url:
            self.base_url = url
            yield url
