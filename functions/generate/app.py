"""Lambda entry point (SQS, partial batch failures): /chat and account commands.

Logic: tzurot.jobs.worker (batch processing) and tzurot.commands (the handlers).
"""

from tzurot.jobs.worker import handle_generate_batch
from tzurot.observability import instrument

handler = instrument("generate")(handle_generate_batch)
