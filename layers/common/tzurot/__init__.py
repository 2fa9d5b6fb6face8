"""tzurot: the shared package of the serverless Discord AI-personality backend.

Split by concern: `discord` (protocol), `commands`, `jobs`, `providers`, `crypto`, `db`, `usage`,
`personalities`, `config`, `cli` and `dev` (the local stack). Import submodules directly; this
module imports nothing so that the interactions function's cold start stays small.
"""

__version__ = "0.1.0"
