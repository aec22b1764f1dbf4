"""The stand-in server: routes the SDK's calls to stored objects (see the package docstring)."""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any
from urllib.parse import urlsplit

from ..server import RecordedRequest, Reply, ScriptedServer, _Handler
from .forms import decode_form, to_bool
from .scripting import PaymentScripting
from .shapes import ObjectShapes


class _StripeHandler(_Handler):
    def do_GET(self) -> None:
        self._answer_without_body("GET")

    def do_DELETE(self) -> None:
        self._answer_without_body("DELETE")

    def _answer_without_body(self, method: str) -> None:
        request = RecordedRequest(
            method=method,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=b"",
        )
        reply = self.server.standin.answer(request)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(reply)


class StripeStandin(ObjectShapes, PaymentScripting, ScriptedServer):
    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__(api_key=api_key)
        self._server.RequestHandlerClass = _StripeHandler
        self.objects: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, Reply] = {}
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.origin

    # --- serving --------------------------------------------------------------------------------

    def answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.api_key is not None and self.presented_key(request) != self.api_key:
                return self.unauthorized()
            if self._queue:
                return self._queue.popleft()
            key = request.headers.get("idempotency-key")
            if key and request.method == "POST" and key in self._idempotent:
                return self._idempotent[key]
            reply = self._route(request)
            if key and request.method == "POST" and reply.status == 200:
                self._idempotent[key] = reply
            return reply

    def unauthorized(self) -> Reply:
        return self.error(401, "Invalid API Key provided.", kind="invalid_request_error")

    def error(
        self,
        status: int,
        message: str = "stand-in error",
        *,
        kind: str = "api_error",
        code: str | None = None,
    ) -> Reply:
        return Reply(status, {"error": {"type": kind, "message": message, "code": code}})

    def _missing(self, object_id: str) -> Reply:
        return Reply(
            404,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "id",
                    "message": f"No such object: '{object_id}'",
                }
            },
        )

    def _route(self, request: RecordedRequest) -> Reply:
        url = urlsplit(request.path)
        params = decode_form(request.body.decode() if request.body else url.query)
        parts = url.path.strip("/").split("/")
        if parts[:1] != ["v1"] or len(parts) < 2:
            return self.error(404, f"stand-in: no route {url.path}", kind="invalid_request_error")
        resource, rest = "/".join(parts[1:-1]), parts[-1]
        collection = "/".join(parts[1:])
        creators = self._creators()
        if request.method == "POST" and collection in creators:
            return Reply(200, creators[collection](params))
        if resource in creators or resource in self.READ_ONLY:
            return self._on_object(request.method, rest, params)
        return self.error(404, f"stand-in: no route {url.path}", kind="invalid_request_error")

    # Objects only a test's script creates; the SDK reads (and some it updates) them.
    READ_ONLY = ("subscriptions", "payment_intents", "charges")

    def _on_object(self, method: str, object_id: str, params: dict[str, Any]) -> Reply:
        obj = self.objects.get(object_id)
        if obj is None:
            return self._missing(object_id)
        if method == "POST":
            self._update(obj, params)
        elif method == "DELETE" and obj["object"] == "subscription":
            obj.update(status="canceled", canceled_at=int(time.time()), ended_at=int(time.time()))
        return Reply(200, self._expanded(obj, params.get("expand") or []))

    def _expanded(self, obj: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        """`expand[]=field`: an id in `field` becomes the stored object it names."""
        wanted = [name for name in fields if isinstance(obj.get(name), str)]
        if not wanted:
            return obj
        return obj | {name: self.objects.get(obj[name], obj[name]) for name in wanted}

    def _creators(self) -> dict[str, Any]:
        return {
            "customers": self._create_customer,
            "checkout/sessions": self._create_checkout_session,
            "billing_portal/sessions": self._create_portal_session,
            "products": self._create_product,
            "prices": self._create_price,
            "coupons": self._create_coupon,
            "promotion_codes": self._create_promotion_code,
        }

    def _update(self, obj: dict[str, Any], params: dict[str, Any]) -> None:
        for name, value in params.items():
            if name == "metadata":
                obj["metadata"] = {**(obj.get("metadata") or {}), **value}
            elif name in ("active", "cancel_at_period_end"):
                obj[name] = to_bool(value)
            elif name not in ("expand",):
                obj[name] = value
        if obj["object"] == "subscription" and "cancel_at_period_end" in params:
            end = obj["items"]["data"][0]["current_period_end"]
            obj["cancel_at"] = end if obj["cancel_at_period_end"] else None
