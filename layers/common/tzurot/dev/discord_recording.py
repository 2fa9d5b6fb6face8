"""How the fake Discord (tzurot.dev.discord_sink) reads a request into a `RecordedCall`: the
JSON or multipart body (`payload_json` + `files[n]` parts, each at most Discord's upload limit),
the path below the API prefix, the headers without Authorization, and whether it carried the
bot's token."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from tzurot.dev.discord_validation import MAX_FILES

MAX_FILE_BYTES = 10 * 1024 * 1024  # Discord's upload limit without boosts
FILE_FIELD = re.compile(r"^files\[(\d+)\]$")


@dataclass
class RecordedFile:
    field: str  # files[n]: n is the attachment's index in the body's `attachments`
    filename: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def index(self) -> str:
        return FILE_FIELD.match(self.field).group(1)


@dataclass
class RecordedCall:
    """One request as the sink received it (headers without Authorization)."""

    method: str
    path: str  # below API_PREFIX, e.g. /webhooks/123/<token>/messages/@original
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[RecordedFile]
    bot_auth: bool  # carried `Authorization: Bot <the sink's bot token>`
    content_type: str = ""
    status: int | None = None
    response: Any = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (edit pacing)

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}"


def load_json(raw: str | bytes) -> Any:
    """The body's JSON; ValueError with Discord's message (code 50109) when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError("The request body contains invalid JSON.") from None


async def record_call(request: Request, *, api_prefix: str, bot_token: str | None) -> RecordedCall:
    """The request as a RecordedCall. Raises ValueError (invalid JSON) or OverflowError (a file
    over MAX_FILE_BYTES); `bot_token` None accepts any `Bot ...` token."""
    content_type = request.headers.get("content-type", "")
    body: Any = None
    files: list[RecordedFile] = []
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_FILES + 1, max_part_size=MAX_FILE_BYTES + 1)
        for name, value in form.multi_items():
            if isinstance(value, str):
                if name == "payload_json":
                    body = load_json(value)
                continue
            content = await value.read()
            if len(content) > MAX_FILE_BYTES:
                raise OverflowError(name)
            match = FILE_FIELD.match(name)
            files.append(
                RecordedFile(
                    # Discord takes any part name; files[n] says which attachment id.
                    field=f"files[{match.group(1) if match else len(files)}]",
                    filename=value.filename or "",
                    content_type=value.headers.get("content-type", ""),
                    content=content,
                )
            )
    else:
        raw = await request.body()
        body = load_json(raw) if raw else None
    authorization = request.headers.get("authorization", "")
    return RecordedCall(
        method=request.method,
        path=request.url.path.removeprefix(api_prefix),
        query=dict(request.query_params),
        headers={k: v for k, v in request.headers.items() if k != "authorization"},
        json=body,
        files=files,
        bot_auth=authorization.startswith("Bot ")
        and (bot_token is None or authorization == f"Bot {bot_token}"),
        content_type=content_type.split(";")[0],
    )
