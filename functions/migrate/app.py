"""Lambda entry point: `tzurot db ...` or `tzurot keys ...` inside the account (runner.py)."""

from runner import run_command

from tzurot.observability import instrument


@instrument("migrate")
def handler(event, context):
    return run_command(event)
