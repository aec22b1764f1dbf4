"""A scriptable HTTP server on loopback: the base of the provider stand-ins.

Each test queues the replies it wants (`enqueue`), in order; a request beyond the queue gets
`default` (a 500 saying nothing was scripted, unless a test sets another). Every request is
recorded before it is answered, even one whose client gives up waiting, so tests can assert what
a client sent and how often. Replies can be delayed (to provoke client timeouts) and can be
server-sent event streams with a pause between events. Delays end early when the server stops,
so a test never waits for a reply nobody reads.

    with OpenAIStandin() as api:
        api.enqueue(api.error(500), api.completion("Hello"))
        ... point the client at api.base_url ...
        assert len(api.requests) == 2
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class SSEEvent:
    data: str
    event: str | None = None

    def encode(self) -> bytes:
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {self.data}\n\n".encode()


@dataclass(frozen=True)
class Reply:
    """One scripted response: a JSON `body`, or (status 200) a stream of `events`."""

    status: int = 200
    body: Any = None
    events: tuple[SSEEvent, ...] | None = None
    # Seconds before the status line is sent: longer than the client's timeout makes it time out.
    delay: float = 0.0
    # Seconds between stream events.
    event_delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method="POST",
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
        )
        reply = self.server.standin.answer(request)
        # A client that gave up (its timeout) has closed the connection: nothing to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.delay and self.server.closing.wait(reply.delay):
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.events is not None:
            self._send_events(reply)
            return
        payload = json.dumps(reply.body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_events(self, reply: Reply) -> None:
        # HTTP/1.0 and no length: the stream ends when the connection closes.
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for event in reply.events or ():
            if reply.event_delay and self.server.closing.wait(reply.event_delay):
                return
            self.wfile.write(event.encode())
            self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Handlers sleeping in a delay must not hold up the end of the test.
    block_on_close = False

    def __init__(self, standin: ScriptedServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin
        self.closing = threading.Event()


class ScriptedServer:
    """Subclasses say which paths they serve (`paths`) and build replies in their API's shape."""

    paths: tuple[str, ...] = ()

    def __init__(self, *, api_key: str | None = None) -> None:
        # When set, requests without this key get the API's 401.
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.default = Reply(500, {"error": {"message": "stand-in: no reply was scripted"}})
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(self)
        # A short poll interval: `stop` waits for the serving loop to notice, once per fixture.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if request.path not in self.paths:
                return Reply(404, {"error": {"message": f"stand-in: no route {request.path}"}})
            if self.api_key is not None and self.presented_key(request) != self.api_key:
                return self.unauthorized()
            return self._queue.popleft() if self._queue else self.default

    def presented_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    def unauthorized(self) -> Reply:
        return Reply(401, {"error": {"message": "Invalid API key"}})

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
