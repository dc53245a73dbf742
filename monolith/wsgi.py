"""The one place that builds the app at import: gunicorn's entry point (monolith.wsgi:app)."""

from monolith.app import create_app
from mysfits_common.logs import configure_logging

configure_logging("monolith")
app = create_app()
