"""The clock process: one leader runs the scheduled jobs and sweeps the outbox."""
