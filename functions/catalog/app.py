"""Lambda entry point (EventBridge schedule, daily): refresh the model catalog.

Logic: tzurot.catalog.refresh (the same code as `tzurot models refresh`).
"""

from tzurot.catalog.refresh import scheduled
from tzurot.observability import instrument

handler = instrument("catalog")(scheduled)
