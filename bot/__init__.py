"""CareBot web process, channels, CLI and scheduler wiring."""
