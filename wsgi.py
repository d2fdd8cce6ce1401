"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
from network import create_app

app = create_app()
