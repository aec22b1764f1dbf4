"""ASGI entry point: HTTP through Django, WebSockets through Channels' router."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

from studymate_api.observability.tracing import configure_tracing

# Before Django loads its middleware: the Django instrumentation adds one (no-op when unset).
configure_tracing("web")

# Django must be set up before anything imports models (consumers, middleware).
from studymate_api.core.handlers import asgi_application  # noqa: E402

django_asgi_app = asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import JWTAuthMiddleware  # noqa: E402
from realtime.origin import OriginCheckMiddleware  # noqa: E402
from studymate_api.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin check first (cheap: a foreign browser page gets 4403 before its token is
        # read; no Origin, a native app, passes), then the JWT of the handshake.
        "websocket": OriginCheckMiddleware(JWTAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

# Everything imported so far lives as long as the process: keep it out of the garbage
# collector's full passes, which pause every socket of the process while they run.
gc.freeze()
