"""`/metrics/`: every instrument in the Prometheus text format (or OpenMetrics when asked).

Access: open when DEBUG is on (the embedded default). Otherwise the scraper sends
`Authorization: Bearer <METRICS_TOKEN>` (compared in constant time) or a staff user's JWT;
no or bad credentials answer 401, a learner's token 403, with the JSON error envelope.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings
from rest_framework_simplejwt.authentication import JWTAuthentication

from studymate_api.core.middleware import error_response

from .registry import render_metrics


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if (denied := _refusal(request)) is not None:
        return denied
    body, content_type = render_metrics(request.headers.get("Accept"))
    return HttpResponse(body, content_type=content_type)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    if settings.DEBUG:
        return None
    token = _bearer_token(request)
    if token is None:
        return _unauthorized(
            "not_authenticated", _("Authentication credentials were not provided.")
        )
    expected: str = settings.METRICS_TOKEN
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return None
    user = _jwt_user(token)
    if user is None:
        return _unauthorized("authentication_failed", _("Incorrect authentication credentials."))
    if not user.is_staff:
        message = _("You do not have permission to perform this action.")
        return error_response(403, "permission_denied", message)
    return None


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _jwt_user(token: str) -> Any:
    auth = _rest_jwt_authentication()
    try:
        user = auth.get_user(auth.get_validated_token(token.encode()))
    except AuthenticationFailed:  # simplejwt's InvalidToken is one too
        return None
    return user if user.is_active else None


def _rest_jwt_authentication() -> Any:
    """REST's own JWT authentication class, so a token REST refuses (a signed-out one too) is
    refused here as well."""
    classes: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    return next(cls for cls in classes if issubclass(cls, JWTAuthentication))()


def _unauthorized(code: str, message: str) -> HttpResponse:
    response = error_response(401, code, message)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
