"""What is due for whom: cadence rules, the daily digest, semester tasks and the weekly summary."""
