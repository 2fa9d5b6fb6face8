"""The `tzurot` command-line tool: the operator's interface (ARCHITECTURE.md fixes its verbs)."""
