"""The `carebot` command line: one module per command group; `main` holds the root app."""
