"""Student safety: crisis-word screening, alerts to the responsible people, escalation."""
