"""Lambda entry point (SQS, partial batch failures): /imagine.

Logic: tzurot.jobs.worker (batch processing) and tzurot.commands.imagine (the handler).
"""

from tzurot.jobs.worker import handle_image_batch
from tzurot.observability import instrument

handler = instrument("image")(handle_image_batch)
