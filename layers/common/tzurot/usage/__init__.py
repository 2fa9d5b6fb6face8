"""Token usage: the ledger (one row per provider call) and the daily limits read from it."""
