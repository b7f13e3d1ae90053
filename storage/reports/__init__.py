"""Read-only report queries: ledger rows, statistics (run on the reader, off the event loop)."""
