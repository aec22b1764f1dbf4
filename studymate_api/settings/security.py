"""Transport security, cross-origin browsers and login lockout. Production values follow DEBUG
unless overridden."""

from __future__ import annotations

from datetime import timedelta

from corsheaders.defaults import default_headers

from .django import DEBUG
from .environment import read_bool, read_int, read_origins

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = read_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and the metrics scraper talk plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics/?$"]
SECURE_HSTS_SECONDS = read_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = read_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# django-axes: five failures for one account from one address lock that address out of that
# account for fifteen minutes, even with the right password, until it expires or an admin
# unlocks the account; other addresses carry on (accounts.lockout: Retry-After, and the unlock
# code when many addresses attack one account).
AXES_FAILURE_LIMIT = read_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=read_int("AXES_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Per-address limits across accounts are the login throttle's job (drf.py).
AXES_USERNAME_FORM_FIELD = "email"
# The account the attempt names, normalized, from our login ("email") or the admin's ("username").
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "studymate_api.core.requests.client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Cross-origin browsers (django-cors-headers for REST; `realtime.origin` judges WebSocket `Origin`
# by the same list). Only the listed origins, in development too: a local web app sets
# CORS_ALLOWED_ORIGINS=http://localhost:5173 (a blanket "any localhost port in DEBUG" would let
# every page served from the developer's machine drive the API and its sockets). Credentials are
# bearer tokens, never cookies, so no Access-Control-Allow-Credentials.
CORS_ALLOWED_ORIGINS = read_origins("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_HEADERS = (
    *default_headers,
    "idempotency-key",
    "if-none-match",
    "last-event-id",
    "x-request-id",
)
CORS_EXPOSE_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "Idempotent-Replayed",
    "X-Request-ID",
)
# Browsers cap this themselves (Chromium at 2 hours); a day costs nothing where they allow it.
CORS_PREFLIGHT_MAX_AGE = 86_400
