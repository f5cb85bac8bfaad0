"""WSGI entry point: gunicorn wsgi:app"""
from reception import create_app

app = create_app()
