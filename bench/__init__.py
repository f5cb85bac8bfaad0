"""Benchmarks of the reception system against PostgreSQL and gunicorn: `make bench`."""
