"""`tzurot dev` tells other tools where it runs: `.tzurot/dev-endpoints.json` (read by
`tzurot simulate`), and a startup hint with the URLs actually in use."""

from __future__ import annotations

import json
import subprocess
import sys

from tzurot.cli.dev import _hint
from tzurot.dev import endpoints_file
from tzurot.dev.endpoints_file import EndpointsFile, running_endpoints
from tzurot.dev.stack import InteractionsServer, LocalStack
from tzurot.dev.workers import DiscordSinkServer


def started_parts(port: int, sink_port: int | None) -> LocalStack:
    """Parts as they look once started on those ports (nothing is served here)."""
    server = InteractionsServer(port)
    server.url = f"http://127.0.0.1:{port}/interactions"
    parts = [server]
    if sink_port is not None:
        sink = DiscordSinkServer(sink_port)
        sink.base_url = f"http://127.0.0.1:{sink_port}/api/v10"
        parts.append(sink)
    return LocalStack(parts)


def test_the_file_holds_the_urls_in_use_while_the_stack_runs(tmp_path):
    stack = started_parts(9123, 9124)
    part = EndpointsFile(tmp_path)
    part.start(stack)
    assert running_endpoints(tmp_path) == {
        "interactions": "http://127.0.0.1:9123/interactions",
        "discord_sink": "http://127.0.0.1:9124/api/v10",
    }
    part.stop()
    assert running_endpoints(tmp_path) == {}
    assert not (tmp_path / endpoints_file.FILE_NAME).exists()


def test_a_file_left_by_a_killed_stack_is_ignored(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    urls = {"interactions": "http://127.0.0.1:9/interactions"}
    path = tmp_path / endpoints_file.FILE_NAME
    path.write_text(json.dumps({"pid": int(gone.stdout), "urls": urls}))
    assert running_endpoints(tmp_path) == {}
    path.write_text("not json")
    assert running_endpoints(tmp_path) == {}


def test_the_startup_hint_names_the_real_ports():
    assert _hint(started_parts(9200, None)) == (
        "tzurot dev is running (endpoint http://127.0.0.1:9200/interactions); "
        "try `tzurot simulate ping`; press Ctrl-C to stop"
    )
    assert _hint(started_parts(9200, 9201)) == (
        "tzurot dev is running (endpoint http://127.0.0.1:9200/interactions, Discord sink "
        "http://127.0.0.1:9201/api/v10); try `tzurot simulate chat lilith hi`; "
        "press Ctrl-C to stop"
    )
