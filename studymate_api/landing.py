"""The page at `/`: what this server is and where its documentation, tools and probes are.

Static HTML styled by the realtime dashboard's stylesheet, no script and nothing fetched from
elsewhere, so it works offline; its Content-Security-Policy allows only this origin's styles.
The realtime dashboard's address from the original project layout redirects to the dashboard.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

TEMPLATE_NAME = "landing.html"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


@require_safe
def landing_page(request: HttpRequest) -> HttpResponse:
    response = render(request, TEMPLATE_NAME)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@require_safe
def legacy_dashboard_redirect(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """`/templates/realtime_dashboard.html` was the dashboard's address before it was served by
    a view; bookmarks and old links land on the dashboard."""
    return HttpResponsePermanentRedirect(reverse("realtime-dashboard"))
