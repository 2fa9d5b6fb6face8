"""Loopback fakes of the AI providers, speaking their real wire formats.

Used by the tests (tests/fakes re-exports them) and by `tzurot dev --fake-providers`, which
needs them on a bare install: so they live here, in a package of their own that pip installs
with the project, outside layers/common (the Lambda layer ships everything under it).
"""
