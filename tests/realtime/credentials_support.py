"""Helpers of the tests where sockets follow their credentials: tokens that expire soon, probes
that prove a socket is still open, the admin change form posted back as a browser would."""

from __future__ import annotations

import datetime
from typing import Any

from channels.testing import WebsocketCommunicator
from django.forms import CheckboxInput, Form, MultiWidget
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from tests.realtime.learning_support import next_event


def short_lived_token(user: User, seconds: float) -> AccessToken:
    """An access token of `user` that expires in about `seconds` (exp has whole seconds)."""
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=datetime.timedelta(seconds=seconds))
    return token


async def assert_open(socket: WebsocketCommunicator) -> None:
    """The socket answers: an unknown message type gets an error event back."""
    await socket.send_json_to({"type": "probe-open"})
    event = await next_event(socket, "error", timeout=3)
    assert event["code"] == "unknown_type"


def admin_change_data(response: Any, **changes: Any) -> dict[str, Any]:
    """What the admin change page in `response` posts back, with `changes` applied (True/False
    for a checkbox). Built from the page's own forms, as a browser submits the rendered ones."""
    forms: list[Form] = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            if bound.field.disabled:
                continue
            widget = bound.field.widget
            value = bound.value()
            if isinstance(widget, MultiWidget):
                parts = widget.decompress(value) or []
                for index, part in enumerate(parts):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            elif isinstance(widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            else:
                data[bound.html_name] = "" if value is None else value
    for name, value in changes.items():
        if value is True:
            data[name] = "on"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data
