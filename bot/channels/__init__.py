"""Messenger channels: the only code that knows a platform's protocol."""
