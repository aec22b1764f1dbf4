"""The realtime dashboard page (`/dashboard/realtime/`).

The page is static HTML plus ES modules from `realtime/static/realtime/`; it needs no Django
session: the browser signs in against `/api/auth/login/` and uses the JWT for REST and for the
WebSockets. The response carries its own Content-Security-Policy: scripts, styles and
connections only from this origin (no inline code anywhere), so the page provably works offline.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

TEMPLATE_NAME = "realtime_dashboard.html"


def content_security_policy(host: str) -> str:
    """Same-origin everything; WebSockets named explicitly (older browsers do not count ws: as
    'self'). `host` is the request's validated Host header."""
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": f"'self' ws://{host} wss://{host}",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def script_messages() -> dict[str, str]:
    """Text the scripts show, in the request's language (`t(key)` in messages.js)."""
    return {
        "not_signed_in": _("You are not signed in."),
        "request_failed": _("{what} failed ({status})."),
        "session_info": _("{subject}: live since {since}"),
        "activity_sent": _("{count} activity events sent"),
        "focus_score": _("Focus"),
        "pace": _("Pace"),
        "efficiency": _("Efficiency"),
        "duration_minutes": _("Minutes"),
        "interruptions": _("Interruptions"),
        "answers": _("Answers"),
        "correct_answers": _("Correct answers"),
        "notes": _("Notes"),
        "attention": _("Attention"),
        "attention_focused": _("focused"),
        "attention_blurred": _("elsewhere"),
        "attention_idle": _("idle"),
        "socket_connecting": _("connecting…"),
        "socket_open": _("live"),
        "socket_closed": _("reconnecting…"),
        "socket_forbidden": _("staff only"),
        "socket_unauthenticated": _("signed out"),
        "room_owner": _("by {name}"),
        "room_members": _("{count}/{capacity} members"),
        "room_public": _("public"),
        "room_private": _("private"),
        "room_joined": _("joined"),
        "cpu": _("CPU %"),
        "memory": _("Memory %"),
        **monitor_labels(),
    }


def monitor_labels() -> dict[str, str]:
    """Labels of the system snapshot's fields; unknown fields show their own name."""
    labels = {
        "generated_at": _("Updated at"),
        "interval_seconds": _("Interval (s)"),
        "active_sessions": _("Active sessions"),
        "open_sockets.total": _("Open sockets"),
        "http.requests_per_second": _("Requests/s"),
        "http.p95_latency_ms": _("p95 latency (ms)"),
        "http.requests": _("Requests in the window"),
        "http.window_seconds": _("Window (s)"),
        "stream_lag": _("Stream lag"),
        "cpu_percent": _("CPU %"),
        "memory_percent": _("Memory %"),
        "process.pid": _("Server process id"),
        "process.cpu_percent": _("Server process CPU %"),
        "process.memory_rss_bytes": _("Server process memory (bytes)"),
        # `*` stands for a name that varies; the label shows it as {name}.
        "open_sockets.by_route.*": _("Sockets: {name}"),
        "celery_queues.*": _("Celery queue {name}"),
        "streams.*.length": _("Stream {name}: length"),
        "streams.*.lag": _("Stream {name}: lag"),
        "streams.*.pending": _("Stream {name}: pending"),
    }
    return {f"monitor.{key}": label for key, label in labels.items()}


@require_safe
def realtime_dashboard(request: HttpRequest) -> HttpResponse:
    response = render(request, TEMPLATE_NAME, {"dashboard_messages": script_messages()})
    response.headers["Content-Security-Policy"] = content_security_policy(request.get_host())
    return response
