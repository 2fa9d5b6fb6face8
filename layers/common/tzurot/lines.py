"""One record per line on stdout, whatever the threads.

CloudWatch reads a function's stdout line by line: a log record and an embedded-metric record
must each be one whole line. The jobs of a batch run on several threads; powertools prints
metrics with `print()` (the text and the newline are two writes) and every Logger has its own
handler lock, so two threads could glue records together (45 of 3,936 worker lines did). Here
every record is written with its newline in ONE write, under ONE process-wide lock, by
`write_line` (metrics, tzurot.observability) and by `LineHandler` (every tzurot logger).
"""

from __future__ import annotations

import logging
import sys
import threading

_lock = threading.Lock()


def write_line(text: str, stream=None) -> None:
    """Write `text` and a newline as one write, never interleaved with another record."""
    stream = stream if stream is not None else sys.stdout
    with _lock:
        stream.write(text + "\n")
        stream.flush()


class LineHandler(logging.StreamHandler):
    """A StreamHandler (stdout, like powertools' own) whose records go out through
    `write_line`. `stream` may be replaced later (tests capture it)."""

    def __init__(self, stream=None):
        super().__init__(stream if stream is not None else sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            write_line(self.format(record), self.stream)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
