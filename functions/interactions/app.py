"""Lambda entry point (Function URL, payload v2): verify, route, respond. Logic: tzurot.discord."""

from tzurot.discord.function_url import handle_event
from tzurot.observability import instrument


@instrument("interactions")
def handler(event, context):
    return handle_event(event)
