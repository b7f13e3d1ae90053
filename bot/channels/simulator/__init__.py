"""The simulator: a local chat page (static/) and its JSON API, for `make run` and the tests."""
