"""The realtime dashboard in headless Chromium (Debian's `chromium`, driven by Playwright).

Two parts:
- the page's ES modules on their own (chart geometry, JWT helpers, socket URLs, snapshot
  rows), loaded from `realtime/static/realtime/` through a routed origin: no server needed;
- the whole page against a real daphne on its own PostgreSQL database: register over the API,
  sign in on the page, start a session, send activity, watch the charts and the feedback feed
  update, end the session; token refresh; the study-room list; the staff-only monitor.

Chromium is the system one (`/usr/bin/chromium`); Playwright never downloads a browser here.
Skipped when Chromium or Playwright is missing, and the server part without DATABASE_URL.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.harness import (
    PROJECT_DIR,
    http_client,
    run_manage,
    running_server,
    running_stream_process,
    server_env,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright's Python package")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STATIC_DIR = PROJECT_DIR / "realtime" / "static" / "realtime"
# The modules' own tests load them from this origin; Chromium never resolves it (routed below).
MODULE_ORIGIN = "http://modules.test"
PASSWORD = "Correct-horse-42"
WAIT_MS = 15_000
NO_VALUE = "\N{EN DASH}"  # what the page shows for a missing reading

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile, English UI (so Accept-Language is `en`)."""
    with (
        tempfile.TemporaryDirectory(prefix="studymate-chromium-") as profile,
        sync_api.sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="en-US",
            viewport={"width": 1280, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


# --- the modules on their own ------------------------------------------------------------------


def _serve_modules(route: Route) -> None:
    path = route.request.url.removeprefix(MODULE_ORIGIN)
    if path == "/":
        route.fulfill(status=200, content_type="text/html", body="<!DOCTYPE html><title>t</title>")
        return
    name = path.removeprefix("/static/realtime/")
    file = STATIC_DIR / name
    if "/" in name or not file.is_file():
        route.fulfill(status=404, body="")
        return
    route.fulfill(status=200, content_type="text/javascript", body=file.read_text())


@pytest.fixture
def modules_page(browser: BrowserContext) -> Iterator[Page]:
    page = browser.new_page()
    page.route(f"{MODULE_ORIGIN}/**", _serve_modules)
    page.goto(f"{MODULE_ORIGIN}/")
    yield page
    page.close()


def _run(page: Page, module: str, body: str) -> Any:
    """Evaluates `body` (an async function body with the module bound to `m`) in the page."""
    script = f"async () => {{ const m = await import('/static/realtime/{module}'); {body} }}"
    return page.evaluate(script)


def test_nice_ceiling_ends_axes_on_readable_numbers(modules_page: Page) -> None:
    values = [0, -3, 0.3, 1, 7, 12, 26, 100, 101, 2400]
    result = _run(modules_page, "linechart.js", f"return {values}.map(m.niceCeiling);")
    assert result == [1, 1, 0.5, 1, 10, 20, 50, 100, 200, 2500]


def test_points_are_right_aligned_scaled_and_clamped(modules_page: Page) -> None:
    # VIEW: 320 x 120, 34 px left and 6 px right padding, 8 px top/bottom: plot 280 x 104.
    result = _run(
        modules_page,
        "linechart.js",
        """const range = {min: 0, max: 100};
        return [m.scalePoints([0, 50, 100], range, 3), m.scalePoints([50], range, 3),
                m.scalePoints([150, -5], range, 3), m.polylinePoints([[1, 2], [3.5, 4]]),
                m.axisRange([3, 7]), m.axisRange([3, 700], {max: 100})];""",
    )
    assert result[0] == [[34, 112], [174, 60], [314, 8]]
    assert result[1] == [[314, 60]]
    assert result[2] == [[174, 8], [314, 112]]
    assert result[3] == "1,2 3.5,4"
    assert result[4] == {"min": 0, "max": 10}
    assert result[5] == {"min": 0, "max": 100}


def test_line_chart_mirrors_its_points_on_the_host(modules_page: Page) -> None:
    result = _run(
        modules_page,
        "linechart.js",
        """const host = document.createElement('div');
        document.body.append(host);
        const chart = new m.LineChart(host, {label: 'Pace', capacity: 3});
        const empty = {...host.dataset};
        for (const v of [2, 4, 'x', NaN, 6, 8]) chart.push(v);
        return {empty, after: {...host.dataset},
                line: host.querySelector('polyline').getAttribute('points'),
                label: host.querySelector('svg').getAttribute('aria-label'),
                ticks: [...host.querySelectorAll('text')].map((t) => t.textContent)};""",
    )
    assert result["empty"] == {"points": "0", "latest": "", "max": "1"}
    # Capacity 3 keeps 4, 6, 8; the axis grows to 10.
    assert result["after"] == {"points": "3", "latest": "8", "max": "10"}
    assert result["line"] == "34,70.4 174,49.6 314,28.8"
    assert result["label"] == "Pace"
    assert result["ticks"] == ["0", "5", "10"]


def test_values_are_formatted_without_noise(modules_page: Page) -> None:
    values = "[56.8, 70.7, 0.09, 149.28, 12.345, 100, 3, -2.5, NaN, Infinity]"
    result = _run(modules_page, "linechart.js", f"return {values}.map(m.formatValue);")
    expected = ["56.8", "70.7", "0.09", "149", "12.35", "100", "3", "-2.5", NO_VALUE, NO_VALUE]
    assert result == expected


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.signature"


def test_token_expiry_is_read_from_the_jwt(modules_page: Page) -> None:
    # This payload encodes with both "-" and "_" and needs padding: the page must undo the
    # URL-safe alphabet and restore the stripped "=".
    token = _jwt({"exp": 1_000, "user_id": 7, "note": "??>>~"})
    result = _run(
        modules_page,
        "api.js",
        f"""const token = {json.dumps(token)};
        return [m.jwtClaims(token), m.expiresSoon(token, 900), m.expiresSoon(token, 975),
                m.expiresSoon(token, 969), m.jwtClaims('garbage'), m.expiresSoon('garbage', 0)];""",
    )
    assert result[0] == {"exp": 1000, "user_id": 7, "note": "??>>~"}
    # Refreshed 30 s ahead of expiry.
    assert result[1:4] == [False, True, False]
    assert result[4] == {}
    assert result[5] is True


def test_socket_urls_carry_the_token_and_the_right_scheme(modules_page: Page) -> None:
    result = _run(
        modules_page,
        "socket.js",
        """const http = {href: 'http://example.test:8000/dashboard/realtime/'};
        const https = {href: 'https://example.test/dashboard/realtime/'};
        return [m.socketUrl('/ws/learning/analytics/', 'a.b c', http),
                m.socketUrl('/ws/system/monitoring/', 'tok', https),
                m.socketUrl('ws://other.test/ws/x/?token=old&y=1', 'new', http)];""",
    )
    assert result == [
        "ws://example.test:8000/ws/learning/analytics/?token=a.b+c",
        "wss://example.test/ws/system/monitoring/?token=tok",
        "ws://other.test/ws/x/?token=new&y=1",
    ]


def test_monitor_snapshot_rows_flatten_nested_fields(modules_page: Page) -> None:
    snapshot = {
        "type": "system",
        "active_sessions": 3,
        "cpu_percent": 12.345,
        "celery_queues": {"celery": 2, "ai": 0},
        "stream_lag": None,
        "streams": [{"stream": "learning.activity", "lag": 4}, {"lag": 1}, 7],
        "host": "web-1",
    }
    result = _run(
        modules_page,
        "monitor.js",
        f"""const s = {json.dumps(snapshot)};
        return [m.snapshotRows(s), m.firstNumber(s, ['cpu.percent', 'cpu_percent']),
                m.firstNumber(s, ['celery_queues.celery']), m.firstNumber(s, ['nope'])];""",
    )
    assert result[0] == [
        [["active_sessions"], "3"],
        [["cpu_percent"], "12.35"],
        [["celery_queues", "celery"], "2"],
        [["celery_queues", "ai"], "0"],
        [["stream_lag"], NO_VALUE],
        [["streams", "learning.activity", "lag"], "4"],
        [["streams", "1", "lag"], "1"],
        [["streams", "2"], "7"],
        [["host"], "web-1"],
    ]
    assert result[1:] == [12.345, 2, None]


def test_monitor_labels_come_from_the_catalog_with_name_patterns(modules_page: Page) -> None:
    catalog = {
        "monitor.cpu_percent": "CPU %",
        "monitor.streams.*.lag": "Stream {name}: lag",
        "monitor.celery_queues.*": "Queue {name}",
    }
    modules_page.evaluate(
        """(catalog) => {
            const block = document.createElement('script');
            block.type = 'application/json';
            block.id = 'dashboard-messages';
            block.textContent = JSON.stringify(catalog);
            document.head.append(block);
        }""",
        catalog,
    )
    paths = [
        ["cpu_percent"],
        ["streams", "learning.activity", "lag"],
        ["celery_queues", "ai"],
        ["streams", "x", "length"],
        ["host"],
    ]
    result = _run(modules_page, "monitor.js", f"return {json.dumps(paths)}.map(m.labelFor);")
    assert result == [
        "CPU %",
        "Stream learning.activity: lag",
        "Queue ai",
        "streams.x.length",
        "host",
    ]


# --- the page against a real server ------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard_url(e2e_database_url: str) -> Iterator[str]:
    """daphne on the e2e database; with REDIS_URL also the stream process (without Redis the
    analyzer runs inside the web process, the embedded default)."""
    env = server_env(DATABASE_URL=e2e_database_url)
    with running_server(env) as base_url:
        if os.environ.get("REDIS_URL", "").strip():
            with running_stream_process(env):
                yield base_url
        else:
            yield base_url


def _register(base_url: str, **extra: str) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    account = {"email": f"dash-{tag}@example.com", "username": f"dash_{tag}", "password": PASSWORD}
    with http_client(base_url) as api:
        response = api.post("/api/auth/register/", json={**account, **extra})
    assert response.status_code == 201, response.text
    return {**account, **response.json()}


def _bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


def _open_dashboard(browser: BrowserContext, base_url: str) -> tuple[Page, PageProblems]:
    page = browser.new_page()
    problems = PageProblems(page)
    page.goto(f"{base_url}/dashboard/realtime/")
    page.wait_for_selector("body[data-state=signed-out]", timeout=WAIT_MS)
    return page, problems


def _sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.fill("#sign-in-email", email)
    page.fill("#sign-in-password", password)
    page.click("#sign-in-submit")
    page.wait_for_selector("body[data-state=signed-in]", timeout=WAIT_MS)


def _wait_for(page: Page, expression: str) -> Any:
    """Waits until the JavaScript `expression` is truthy; returns its value."""
    return page.wait_for_function(f"() => {expression}", timeout=WAIT_MS).json_value()


@contextmanager
def _screenshot_on_failure(page: Page, path: Path) -> Iterator[None]:
    """A failing block leaves a full-page screenshot at `path`, named in the failure."""
    try:
        yield
    except BaseException as error:
        with suppress(Exception):
            page.screenshot(path=str(path), full_page=True)
        error.add_note(f"screenshot of the page: {path}")
        raise


def _last_metrics(page: Page) -> dict[str, Any]:
    raw = page.get_attribute("#charts-panel", "data-metrics")
    return dict(json.loads(raw)) if raw else {}


def _chart(page: Page, name: str) -> dict[str, str]:
    return dict(page.eval_on_selector(f"#chart-{name}", "(element) => ({...element.dataset})"))


@pytest.fixture
def learner(dashboard_url: str) -> dict[str, Any]:
    return _register(dashboard_url)


def _metrics_where(page: Page, condition: str) -> dict[str, Any]:
    """Waits for a `metrics` event (as the page shows it) for which `condition` holds (`m` is
    the event)."""
    _wait_for(
        page,
        "(() => { const raw = document.querySelector('#charts-panel').dataset.metrics;"
        f" if (!raw) return false; const m = JSON.parse(raw); return {condition}; }})()",
    )
    return _last_metrics(page)


def test_learner_session_updates_the_charts_and_feedback_live(
    browser: BrowserContext, dashboard_url: str, learner: dict[str, Any], tmp_path: Path
) -> None:
    page, problems = _open_dashboard(browser, dashboard_url)
    with _screenshot_on_failure(page, tmp_path / "dashboard-failure.png"):
        _sign_in(page, learner["email"])
        assert page.inner_text("#who-email") == learner["email"]

        # A new learner has no subject of their own yet: add one on the page.
        page.fill("#subject-name", "Linear algebra")
        page.click("#create-subject")
        _wait_for(
            page,
            "document.querySelector('#subject-select').selectedOptions[0]?.textContent"
            " === 'Linear algebra'",
        )
        page.fill("#goal-minutes", "25")
        page.click("#start-session")
        page.wait_for_selector("#session-panel[data-state=live]", timeout=WAIT_MS)
        session_id = page.get_attribute("#session-panel", "data-session-id")
        assert session_id

        # The server agrees: this is the learner's live session.
        with http_client(dashboard_url) as api:
            status = api.get(
                "/api/study/realtime/learning/session_status/",
                params={"session_id": session_id},
                headers=_bearer(learner["access"]),
            )
        assert status.status_code == 200, status.text
        assert status.json()["session_id"] == session_id
        assert status.json()["status"] == "active"
        assert status.json()["subject_name"] == "Linear algebra"
        assert status.json()["goal_minutes"] == 25

        page.wait_for_selector("#analytics-status[data-state=open]", timeout=WAIT_MS)
        assert _chart(page, "focus")["points"] == "0"

        # Five correct answers in a row and a note: metrics for each, and a streak compliment.
        for _ in range(5):
            page.click("#activity-correct")
        page.click("#activity-note")
        first = _metrics_where(page, "m.answers === 5 && m.notes === 1")
        assert first["correct_answers"] == 5
        assert first["interruptions"] == 0
        assert first["focus_score"] == 100
        focus = _chart(page, "focus")
        assert int(focus["points"]) >= 1
        assert float(focus["latest"]) == 100
        assert float(_chart(page, "pace")["latest"]) == first["pace"] > 0
        assert float(_chart(page, "efficiency")["latest"]) == first["efficiency"] > 0
        _wait_for(page, "Number(document.querySelector('#feedback-feed').dataset.count) >= 1")
        assert page.get_attribute("#feedback-feed li", "data-kind") == "streak"
        assert "5" in page.inner_text("#feedback-feed li")

        # Leaving the window is a blur; the time away lowers focus once the learner is back.
        points_before = int(_chart(page, "focus")["points"])
        page.evaluate("window.dispatchEvent(new Event('blur'))")
        page.wait_for_timeout(1500)
        page.click("#activity-focus")
        back = _metrics_where(page, "m.interruptions === 1 && m.attention === 'focused'")
        assert back["focus_score"] < 100
        focus = _chart(page, "focus")
        assert int(focus["points"]) > points_before
        assert float(focus["latest"]) == back["focus_score"]
        assert page.get_attribute("#activity-sent", "data-count") == "8"

        screenshot = tmp_path / "dashboard.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000, f"screenshot looks empty: {screenshot}"

        page.click("#end-session")
        page.wait_for_selector("#session-report:not([hidden])", timeout=WAIT_MS)
        assert page.get_attribute("#session-panel", "data-state") == "none"
        report = page.inner_text("#report-values")
        assert "Interruptions" in report
        assert "Focus" in report
        assert problems.errors == [], f"{problems.errors} (screenshot: {screenshot})"
        page.close()


def test_wrong_password_shows_the_servers_message(
    browser: BrowserContext, dashboard_url: str, learner: dict[str, Any]
) -> None:
    page, _problems = _open_dashboard(browser, dashboard_url)
    page.fill("#sign-in-email", learner["email"])
    page.fill("#sign-in-password", "not-the-password")
    page.click("#sign-in-submit")
    _wait_for(page, "document.querySelector('#sign-in-error').textContent.length > 0")
    assert page.get_attribute("body", "data-state") == "signed-out"
    with http_client(dashboard_url) as api:
        expected = api.post(
            "/api/auth/login/", json={"email": learner["email"], "password": "still-wrong"}
        ).json()["error"]["message"]
    assert page.inner_text("#sign-in-error") == expected
    page.close()


def test_dead_access_token_is_refreshed_with_rotation(
    browser: BrowserContext, dashboard_url: str, learner: dict[str, Any]
) -> None:
    page, _problems = _open_dashboard(browser, dashboard_url)
    _sign_in(page, learner["email"])
    key = "studymate.dashboard.tokens"
    signed_in = json.loads(page.evaluate(f"sessionStorage.getItem('{key}')"))
    # An access token the server refuses (as after a password change or a key rotation).
    page.evaluate(
        f"sessionStorage.setItem('{key}', JSON.stringify({{...{json.dumps(signed_in)},"
        " access: 'x.eyJleHAiOjQxMDI0NDQ4MDB9.y'}))"
    )
    page.reload()
    page.wait_for_selector("body[data-state=signed-in]", timeout=WAIT_MS)
    renewed = json.loads(page.evaluate(f"sessionStorage.getItem('{key}')"))
    assert renewed["refresh"] != signed_in["refresh"]
    with http_client(dashboard_url) as api:
        reused = api.post("/api/auth/refresh/", json={"refresh": signed_in["refresh"]})
        assert reused.status_code == 401, reused.text
        profile = api.get("/api/auth/profile/", headers=_bearer(renewed["access"]))
    assert profile.json()["email"] == learner["email"]
    page.close()


def test_open_study_rooms_are_listed(
    browser: BrowserContext, dashboard_url: str, learner: dict[str, Any]
) -> None:
    owner = _register(dashboard_url)
    name = f"Calculus night {secrets.token_hex(3)}"
    with http_client(dashboard_url) as api:
        created = api.post(
            "/api/study/realtime/rooms/", json={"name": name}, headers=_bearer(owner["access"])
        )
    assert created.status_code == 201, created.text
    page, problems = _open_dashboard(browser, dashboard_url)
    _sign_in(page, learner["email"])
    page.click("#rooms-refresh")
    item = page.wait_for_selector(f"#rooms-list li[data-room-id='{created.json()['id']}']")
    assert item is not None
    text = item.inner_text()
    assert name in text
    assert f"by {owner['username']}" in text
    assert "1/20 members" in text
    assert problems.errors == []
    page.close()


def _make_staff(database_url: str) -> dict[str, str]:
    tag = secrets.token_hex(4)
    email = f"staff-{tag}@example.com"
    code = (
        "from accounts.models import User; "
        f"User.objects.create_superuser(email={email!r}, password={PASSWORD!r})"
    )
    result = run_manage("shell", "-c", code, env=server_env(DATABASE_URL=database_url))
    assert result.returncode == 0, result.stderr
    return {"email": email}


def test_system_monitor_is_for_staff_only(
    browser: BrowserContext,
    dashboard_url: str,
    e2e_database_url: str,
    learner: dict[str, Any],
) -> None:
    page, _problems = _open_dashboard(browser, dashboard_url)
    _sign_in(page, learner["email"])
    page.wait_for_selector("#monitor-panel[data-state=forbidden]", state="attached")
    assert page.is_hidden("#monitor-panel")
    page.click("#sign-out")
    page.wait_for_selector("body[data-state=signed-out]")

    staff = _make_staff(e2e_database_url)
    _sign_in(page, staff["email"])
    page.wait_for_selector("#monitor-panel:not([hidden])", timeout=WAIT_MS)
    _wait_for(page, "Number(document.querySelector('#monitor-panel').dataset.snapshots) >= 1")
    assert page.get_attribute("#monitor-panel", "data-state") == "open"
    rows = page.eval_on_selector_all("#monitor-values dt", "(items) => items.length")
    assert rows >= 5
    page.close()


def test_a_second_tab_follows_the_same_live_session(
    browser: BrowserContext, dashboard_url: str, learner: dict[str, Any], tmp_path: Path
) -> None:
    headers = _bearer(learner["access"])
    with http_client(dashboard_url) as api:
        subject = api.post("/api/study/subjects/", json={"name": "Statistics"}, headers=headers)
        assert subject.status_code == 201, subject.text
        started = api.post(
            "/api/study/realtime/learning/start_session/",
            json={"subject_id": subject.json()["id"]},
            headers=headers,
        )
    assert started.status_code == 201, started.text
    session_id = started.json()["session_id"]

    # Both tabs pick up the session that is already running (after a reload, or a second tab).
    tabs = [_open_dashboard(browser, dashboard_url) for _ in range(2)]
    for index, (page, _problems) in enumerate(tabs):
        with _screenshot_on_failure(page, tmp_path / f"tab-{index}.png"):
            _sign_in(page, learner["email"])
            page.wait_for_selector(f"#session-panel[data-session-id='{session_id}']")
            assert "Statistics" in page.inner_text("#session-info")
            page.wait_for_selector("#analytics-status[data-state=open]", timeout=WAIT_MS)
    (first, first_problems), (second, second_problems) = tabs

    with _screenshot_on_failure(second, tmp_path / "second-tab.png"):
        for _ in range(3):
            first.click("#activity-correct")
        # The metrics reach every socket of the learner, not only the tab that sent the events.
        seen = _metrics_where(second, "m.answers === 3")
        assert seen["session_id"] == session_id
        assert int(_chart(second, "focus")["points"]) >= 1
        assert second.get_attribute("#activity-sent", "data-count") == "0"

        # Ending the session in one tab ends it in the other.
        first.click("#end-session")
        second.wait_for_selector("#session-panel[data-state=none]", timeout=WAIT_MS)
        second.wait_for_selector("#session-report:not([hidden])", timeout=WAIT_MS)
        assert "Answers" in second.inner_text("#report-values")
    assert first_problems.errors == second_problems.errors == []
    first.close()
    second.close()
