"""Message plumbing: inbound dedupe, pending inbound, outbox, conversations, tokens, health."""
