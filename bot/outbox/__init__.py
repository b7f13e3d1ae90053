"""The outbox sender: leases due rows and delivers them through the channels."""
