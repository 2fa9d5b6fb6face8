"""The root of the errors this package reports to a person (CLI line, Discord message).

Anything raised as a TzurotError has a message fit to show as is: no secrets, no tracebacks.
"""


class TzurotError(Exception):
    """An error whose message is safe and meant to be shown to the person who caused it."""
