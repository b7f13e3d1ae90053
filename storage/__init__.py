"""Database tables, queries, roster import, migrations and field encryption."""
