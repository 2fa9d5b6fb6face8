"""Where a running `tzurot dev` can be reached: `.tzurot/dev-endpoints.json`.

`tzurot dev` picks its ports from options (`--port`, `--sink-port`; 0 means any free port), so
other tools cannot assume 8787 and 8788. The last part of the stack writes the URLs it serves,
with its process id, when everything is up and removes the file when it stops; `tzurot simulate`
reads it for its defaults. A file left by a stack that was killed names a process that is gone
and is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FILE_NAME = "dev-endpoints.json"
INTERACTIONS = "interactions"  # the endpoint's POST URL
DISCORD_SINK = "discord_sink"  # the sink's API base (…/api/v10)


def path(state_dir: Path | None = None) -> Path:
    if state_dir is None:
        from tzurot.db import embedded

        state_dir = embedded.STATE_DIR
    return state_dir / FILE_NAME


def running_endpoints(state_dir: Path | None = None) -> dict[str, str]:
    """The URLs of the `tzurot dev` running on this state folder ({} when none is)."""
    try:
        saved = json.loads(path(state_dir).read_text())
        pid = int(saved["pid"])
        urls = {str(k): str(v) for k, v in saved["urls"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    from tzurot.db.embedded import process_running

    return urls if process_running(pid) else {}


class EndpointsFile:
    """Local stack part, started last: writes the file, removes it on stop."""

    name = "endpoints-file"

    def __init__(self, state_dir: Path | None = None):
        self.state_dir = state_dir
        self._path: Path | None = None

    def start(self, stack) -> None:
        from tzurot.dev.stack import InteractionsServer
        from tzurot.dev.workers import DiscordSinkServer

        urls = {}
        for part in stack.parts:
            if isinstance(part, InteractionsServer):
                urls[INTERACTIONS] = part.url
            elif isinstance(part, DiscordSinkServer):
                urls[DISCORD_SINK] = part.base_url
        self._path = path(self.state_dir)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps({"pid": os.getpid(), "urls": urls}, indent=2))
        stack.report(f"endpoints: written to {self._path} (tzurot simulate reads them)")

    def stop(self) -> None:
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None
