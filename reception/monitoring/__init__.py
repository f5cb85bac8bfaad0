"""Monitoring: are receptions held, are problems solved, and where the problems are (read-only)."""
