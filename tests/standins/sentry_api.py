"""A stand-in for Sentry's ingestion endpoint (`POST /api/<project>/envelope/`), as `sentry_sdk`
sends to it: envelopes (a JSON header line, then items, each a JSON header line and a payload
of `length` bytes or up to the next newline), gzip-compressed (the SDK's choice when brotli is
not installed), answered with 200. `events` decodes the error events received. Use `dsn` as
`SENTRY_DSN`."""

from __future__ import annotations

import gzip
import json
from typing import Any

from .server import RecordedRequest, Reply, ScriptedServer

PROJECT_ID = "1"
PUBLIC_KEY = "standinkey"


def _decompress(request: RecordedRequest) -> bytes:
    encoding = request.headers.get("content-encoding", "")
    if encoding == "gzip":
        return gzip.decompress(request.body)
    if encoding:
        raise ValueError(f"stand-in: unsupported Content-Encoding {encoding!r}")
    return request.body


def parse_envelope(raw: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    header_line, _, rest = raw.partition(b"\n")
    items: list[tuple[dict[str, Any], bytes]] = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length:].removeprefix(b"\n")
        items.append((item_header, payload))
    return json.loads(header_line), items


class SentryStandin(ScriptedServer):
    paths = (f"/api/{PROJECT_ID}/envelope/",)

    def __init__(self) -> None:
        super().__init__()
        self.default = Reply(200, {})

    @property
    def dsn(self) -> str:
        return self.origin.replace("http://", f"http://{PUBLIC_KEY}@") + f"/{PROJECT_ID}"

    def envelopes(self) -> list[tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]]:
        return [
            parse_envelope(_decompress(request))
            for request in self.requests
            if request.path in self.paths
        ]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [
            json.loads(payload)
            for _, items in self.envelopes()
            for item_header, payload in items
            if item_header.get("type") == "event"
        ]
