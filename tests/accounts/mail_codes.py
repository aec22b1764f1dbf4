"""What the tests of mailed codes share: reading a code out of a mail, running a request's
after-commit work, and scanning every stored row for a secret."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

from django.apps import apps
from django.db import models
from rest_framework.test import APIClient

from tests.mailserver import Mailbox

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")

Send = Callable[..., Any]


def subject_of(message: EmailMessage) -> str:
    """The decoded subject. A long encoded subject is folded onto a continuation line, which the
    parser hands back with its leading space (mail clients drop it)."""
    return str(message["Subject"]).strip()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def code_in(message: EmailMessage) -> str:
    """The 6-digit code of a code mail (it is in the subject and in both bodies)."""
    found = _CODE.findall(text_of(message))
    assert found, text_of(message)
    assert found[0] in subject_of(message)
    assert found[0] in html_of(message)
    return str(found[0])


def last_code(mailbox: Mailbox, address: str) -> str:
    received = mailbox.to(address)
    assert received, f"no mail to {address}"
    return code_in(received[-1])


def sender(capture_on_commit: Any) -> Send:
    """`send(client, path, body=None)`: a POST whose after-commit work (enqueuing the code's
    task, which runs in-process and talks to the SMTP server) runs as in production. Takes
    pytest-django's `django_capture_on_commit_callbacks`."""

    def post(client: APIClient, path: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
        with capture_on_commit(execute=True):
            return client.post(path, body or {}, format="json", **extra)

    return post


def stored_rows_containing(secret: str) -> list[str]:
    """Every stored row, of every model, whose text holds `secret`: `model pk field`."""
    found = []
    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in _rows(model, ["pk", *fields]):
            for name, value in row.items():
                if name != "pk" and secret in str(value):
                    found.append(f"{model._meta.label} {row['pk']} {name}")
    return found


def _rows(model: type[models.Model], names: list[str]) -> Iterator[dict[str, Any]]:
    yield from model._default_manager.all().values(*names).iterator()
