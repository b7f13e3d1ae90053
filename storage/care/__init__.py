"""The care record: visit logs, weekly reports, teams and the visit vocabulary."""
