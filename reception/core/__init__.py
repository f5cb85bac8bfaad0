"""Shared foundations: column types, errors, permissions, time and languages."""
