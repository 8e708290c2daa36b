"""Whole-database operations built on the record families: reports, retention,
export/import and migrate-to, health checks and backups."""
