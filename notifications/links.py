"""Signed unsubscribe links of bulk email (RFC 8058 one-click).

The token is `django.core.signing` over `{user id, kind}` with its own salt and a timestamp: no
row stores it, the secret key vouches for it, and it works for
NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS. It can do one thing only: turn off email for that kind.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import ValidationFailed

from .kinds import BULK_KINDS

SALT = "notifications.unsubscribe"
INVALID = _("This unsubscribe link is not valid or has expired.")


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"u": user_id, "k": kind}, compress=True)


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    """The absolute link on PUBLIC_URL: mail sent by beat has no request to take a host from."""
    query = urlencode({"token": unsubscribe_token(user_id=user_id, kind=kind)})
    return f"{settings.PUBLIC_URL}{reverse('notifications:unsubscribe')}?{query}"


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """The user id and kind a token names; 400 `validation_error` on `token` when it is
    tampered with, expired, names no bulk kind or an account that is gone."""
    max_age = datetime.timedelta(days=settings.NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS)
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
        user_id, kind = int(payload["u"]), str(payload["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed(fields={"token": [INVALID]}) from None
    if kind not in BULK_KINDS or not get_user_model().objects.filter(pk=user_id).exists():
        raise ValidationFailed(fields={"token": [INVALID]})
    return user_id, kind
