"""Deployment checks of outgoing mail (`manage.py check --deploy`), registered in `apps.ready`.

With DEBUG off, mail must leave through a real backend from a real sender: the console backend
would print every learner's mail (personal data, codes) into the logs while the delivery is
recorded as sent, and a sender at localhost or a reserved domain is refused or junked by the
receiving servers. Links in mail (unsubscribe) need the site's public HTTPS origin.
"""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

# Backends that deliver nothing: they print, keep in memory, drop or write to a file.
UNDELIVERED_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)
# RFC 2606 / 6761 names that never receive mail, and the loopback name.
RESERVED_SUFFIXES = (".localhost", ".example", ".test", ".invalid", ".local", ".internal")
RESERVED_DOMAINS = frozenset({"localhost", "example.com", "example.net", "example.org"})


def unroutable_domain(domain: str) -> bool:
    """A domain no mail or browser out there can reach: localhost, a reserved or single-label
    name, an IP literal."""
    domain = domain.strip().strip("[]").rstrip(".").lower()
    if not domain or "." not in domain:
        return True
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        pass
    else:
        return True
    reserved = domain in RESERVED_DOMAINS or any(domain.endswith(s) for s in RESERVED_SUFFIXES)
    return reserved or any(domain.endswith(f".{name}") for name in RESERVED_DOMAINS)


@register(Tags.security, deploy=True)
def check_outgoing_mail(**kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[CheckMessage] = []
    if settings.EMAIL_BACKEND in UNDELIVERED_BACKENDS:
        errors.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND} with DEBUG off: mail to learners "
                "would go into the logs, not to them, and be recorded as sent.",
                hint="Set EMAIL_URL to the SMTP server (smtp+tls://user:password@host:587).",
                id="notifications.E001",
            )
        )
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] if "@" in address else ""
    if unroutable_domain(domain):
        errors.append(
            Error(
                f"DEFAULT_FROM_EMAIL {settings.DEFAULT_FROM_EMAIL!r} is not an address at a real "
                "domain: receiving servers refuse or junk mail from it.",
                hint="Set DEFAULT_FROM_EMAIL to a sender at your mail domain "
                "(StudyMate <no-reply@your-domain>).",
                id="notifications.E002",
            )
        )
    public = urlsplit(settings.PUBLIC_URL)
    if public.scheme != "https" or unroutable_domain(public.hostname or ""):
        errors.append(
            Error(
                f"PUBLIC_URL {settings.PUBLIC_URL!r} is not the site's public https origin: "
                "the unsubscribe links in mail would not reach it.",
                hint="Set PUBLIC_URL to the origin learners reach the API at "
                "(https://api.your-domain).",
                id="notifications.E003",
            )
        )
    return errors
