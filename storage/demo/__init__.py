"""A synthetic university for `carebot demo` and the tests; imported only by the CLI and tests."""
