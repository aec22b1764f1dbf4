"""The realtime dashboard page: renders, loads only its own static files, and they are served.

Static files go through the real middleware stack (WhiteNoise serving from the finders, as it
does without `collectstatic` in development and tests).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from realtime.pages import script_messages

PAGE = "/dashboard/realtime/"
STATIC_DIR = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime"
# Relative ES module imports: `import { x } from "./module.js";`.
IMPORT = re.compile(r"""^import\s[^;]*?from\s+"(\./[\w.-]+\.js)";""", re.MULTILINE)
# Message keys the scripts ask for with a literal: t("key") / t("key", {...}).
MESSAGE_KEY = re.compile(r"""\bt\("([\w.]+)"[,)]""")
# The only absolute URL allowed in a script: the SVG namespace (an identifier, never fetched).
ALLOWED_URLS = {"http://www.w3.org/2000/svg"}
# States of LiveSocket that the panels turn into `socket_<state>` messages.
SOCKET_STATES = ("connecting", "open", "closed", "forbidden", "unauthenticated")
# Attention values of a `metrics` event, shown as `attention_<value>`.
ATTENTION_STATES = ("focused", "blurred", "idle")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_handlers: list[str] = []
        self.styled: list[str] = []
        self.data_blocks: dict[str, str] = {}
        self._in_data_block: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.references += [v for k, v in attrs if k in ("src", "href", "action") and v]
        self.inline_handlers += [k for k, _v in attrs if k.startswith("on")]
        if "style" in attributes:
            self.styled.append(tag)
        if tag == "style":
            self.styled.append("<style>")
        if tag == "script":
            self.scripts.append(attributes)
            if attributes.get("type") == "application/json":
                self._in_data_block = attributes.get("id") or ""

    def handle_data(self, data: str) -> None:
        if self._in_data_block is not None:
            self.data_blocks[self._in_data_block] = data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_data_block = None


def _parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.fixture
def page(client: Client) -> Any:
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content[:500]
    return response


def test_page_renders_the_sign_in_form_and_every_panel(page: Any) -> None:
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert '<html lang="en">' in html
    for element_id in (
        "sign-in-form",
        "subject-select",
        "start-session",
        "activity-buttons",
        "chart-focus",
        "chart-pace",
        "chart-efficiency",
        "feedback-feed",
        "rooms-list",
        "monitor-panel",
    ):
        assert f'id="{element_id}"' in html, element_id


def test_page_needs_no_sign_in_and_only_answers_get(client: Client, db: Any) -> None:
    assert client.head(PAGE).status_code == 200
    assert client.post(PAGE).status_code == 405


def test_page_follows_the_language_of_the_request(client: Client) -> None:
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="ko">' in html


def test_page_references_only_local_static_files(page: Any) -> None:
    parsed = _parse(page.content.decode())
    assert parsed.references, "the page must load its script and stylesheet"
    for reference in parsed.references:
        assert reference.startswith("/static/realtime/") or reference == "data:,", reference
    assert parsed.inline_handlers == [], "inline event handlers break the CSP"
    assert parsed.styled == [], "inline styles break the CSP"


def test_page_has_no_inline_code_and_a_same_origin_policy(page: Any) -> None:
    parsed = _parse(page.content.decode())
    for script in parsed.scripts:
        # Either an external module of ours, or a data block the browser never runs.
        assert script.get("src") or script.get("type") == "application/json", script
    policy = dict(
        directive.strip().split(" ", 1) for directive in page["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"


def test_page_embeds_the_translated_script_messages(page: Any, client: Client) -> None:
    messages = json.loads(_parse(page.content.decode()).data_blocks["dashboard-messages"])
    assert messages["focus_score"] == "Focus"
    assert messages == {key: str(value) for key, value in messages.items()}
    korean = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert set(json.loads(_parse(korean).data_blocks["dashboard-messages"])) == set(messages)


def _module_graph() -> dict[str, str]:
    """Every script reachable from dashboard.js through relative imports, by file name."""
    sources: dict[str, str] = {}
    pending = ["dashboard.js"]
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        sources[name] = (STATIC_DIR / name).read_text(encoding="utf-8")
        pending += [target.removeprefix("./") for target in IMPORT.findall(sources[name])]
    return sources


def test_every_module_and_the_stylesheet_are_served_with_their_type(client: Client) -> None:
    modules = _module_graph()
    assert {"api.js", "socket.js", "linechart.js", "session.js", "monitor.js"} <= set(modules)
    for name, source in modules.items():
        response = client.get(f"/static/realtime/{name}")
        assert response.status_code == 200, name
        content_type = response["Content-Type"]
        assert content_type.startswith("text/javascript"), (name, content_type)
        assert _body(response).decode() == source
    stylesheet = client.get("/static/realtime/dashboard.css")
    assert stylesheet.status_code == 200
    assert stylesheet["Content-Type"].startswith("text/css")
    assert b".chart-line" in _body(stylesheet)
    assert client.get("/static/realtime/missing.js").status_code == 404


def test_scripts_and_stylesheet_name_no_external_url() -> None:
    for path in STATIC_DIR.iterdir():
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'`)]*", path.read_text()))
        assert urls <= ALLOWED_URLS, (path.name, urls - ALLOWED_URLS)


def test_every_message_the_scripts_use_is_provided() -> None:
    provided = set(script_messages())
    used = {key for source in _module_graph().values() for key in MESSAGE_KEY.findall(source)}
    used |= {f"socket_{state}" for state in SOCKET_STATES}
    used |= {f"attention_{state}" for state in ATTENTION_STATES}
    assert used, "the scripts must show translated text"
    assert used - provided == set()
