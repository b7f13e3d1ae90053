"""The inbound pipeline every channel shares: accept durably, dedupe, route, record replies."""
