"""WSGI entry point for serving plain HTTP with a WSGI server."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

from studymate_api.observability.tracing import configure_tracing

# Before Django loads its middleware: the Django instrumentation adds one (no-op when unset).
configure_tracing("web")

from studymate_api.core.handlers import wsgi_application  # noqa: E402

application = wsgi_application()
