"""A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver (`POST /v1/traces`), as the
`opentelemetry-exporter-otlp-proto-http` exporter sends to it: protobuf
`ExportTraceServiceRequest` bodies (gzip when compression is configured), answered with 200
and an empty partial-success. `spans` decodes every batch received with the official
opentelemetry-proto classes. Point `OTEL_EXPORTER_OTLP_ENDPOINT` at `endpoint`."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from .server import RecordedRequest, Reply, ScriptedServer


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    scope: str
    name: str
    kind: int
    trace_id: str
    attributes: dict[str, Any]
    span_id: str = ""
    parent_span_id: str = ""  # empty: a root span
    status_code: int = 0  # OTLP StatusCode: 0 unset, 1 ok, 2 error
    events: tuple[str, ...] = ()  # event names ("exception", ...)
    links: tuple[tuple[str, str], ...] = ()  # (trace id, span id) of each linked span


def _value(value: AnyValue) -> Any:
    field = value.WhichOneof("value")
    return getattr(value, field) if field else None


class OTLPStandin(ScriptedServer):
    paths = ("/v1/traces",)

    def __init__(self) -> None:
        super().__init__()
        self.default = Reply(200, {})

    @property
    def endpoint(self) -> str:
        return self.origin

    @staticmethod
    def decode(request: RecordedRequest) -> ExportTraceServiceRequest:
        body = request.body
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return ExportTraceServiceRequest.FromString(body)

    @property
    def spans(self) -> list[ReceivedSpan]:
        received: list[ReceivedSpan] = []
        for request in self.requests:
            if request.path not in self.paths:
                continue
            for resource_spans in self.decode(request).resource_spans:
                resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        received.append(
                            ReceivedSpan(
                                service=str(resource.get("service.name", "")),
                                scope=scope_spans.scope.name,
                                name=span.name,
                                kind=span.kind,
                                trace_id=span.trace_id.hex(),
                                attributes={a.key: _value(a.value) for a in span.attributes},
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                                status_code=span.status.code,
                                events=tuple(event.name for event in span.events),
                                links=tuple(
                                    (link.trace_id.hex(), link.span_id.hex()) for link in span.links
                                ),
                            )
                        )
        return received
