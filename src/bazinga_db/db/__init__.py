"""The database layer: backends (SQLite, PostgreSQL), where the database is, the schema
and its migrations. Nothing here knows about records or commands."""
