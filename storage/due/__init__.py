"""The due evaluation (what contacts are due or overdue, one SQL statement) and the reminder log."""
