// The learner's live session: subjects, start/end, activity events over
// /ws/learning/analytics/, the focus/pace/efficiency charts and the feedback feed.

import { listOf } from "./api.js";
import { byId, element, errorText, fillDefinitions, show } from "./dom.js";
import { LineChart, formatValue } from "./linechart.js";
import { t } from "./messages.js";
import { LiveSocket } from "./socket.js";

const ANALYTICS_PATH = "/ws/learning/analytics/";
const REALTIME_API = "/api/study/realtime/learning/";
const FEED_LIMIT = 50;
// No keyboard, pointer or scroll input for this long while the tab is visible: "idle".
const IDLE_AFTER_MS = 60_000;
// Scrolling sends at most one `scroll` event per this interval.
const SCROLL_INTERVAL_MS = 5_000;
// While a session is live: "still here", and the metrics follow the time that passes.
const HEARTBEAT_MS = 15_000;
const REPORT_FIELDS = [
  "duration_minutes",
  "focus_score",
  "pace",
  "efficiency",
  "interruptions",
  "answers",
  "correct_answers",
  "notes",
];
// Counters of a `metrics` event shown next to the charts.
const LIVE_FIELDS = ["interruptions", "answers", "correct_answers", "notes", "attention"];

export class SessionPanel {
  constructor(api) {
    this.api = api;
    this.panel = byId("session-panel");
    this.sessionId = null;
    this.socket = null;
    this.sent = 0;
    this.attention = "focus"; // the last focus/blur/idle state sent to the server
    this.idleTimer = null;
    this.heartbeatTimer = null;
    this.lastScroll = 0;
    this.charts = {
      focus_score: this.chart("focus", { label: t("focus_score"), min: 0, max: 100 }),
      pace: this.chart("pace", { label: t("pace") }),
      efficiency: this.chart("efficiency", { label: t("efficiency") }),
    };
    this.bindControls();
  }

  chart(name, options) {
    return { chart: new LineChart(byId(`chart-${name}`), options), output: byId(`${name}-value`) };
  }

  bindControls() {
    byId("start-form").addEventListener("submit", (event) => this.startSession(event));
    byId("subject-form").addEventListener("submit", (event) => this.createSubject(event));
    byId("end-session").addEventListener("click", () => this.endSession());
    for (const button of byId("activity-buttons").querySelectorAll("[data-activity]")) {
      button.addEventListener("click", () => this.activityButton(button));
    }
    window.addEventListener("focus", () => this.attentionChanged("focus"));
    window.addEventListener("blur", () => this.attentionChanged("blur"));
    document.addEventListener("visibilitychange", () =>
      this.attentionChanged(document.visibilityState === "hidden" ? "blur" : "focus"),
    );
    for (const name of ["pointerdown", "keydown", "pointermove"]) {
      document.addEventListener(name, () => this.inputSeen(), { passive: true });
    }
    document.addEventListener("scroll", () => this.scrolled(), { passive: true });
  }

  async start() {
    this.socket = new LiveSocket(ANALYTICS_PATH, {
      tokenProvider: (force) => this.token(force),
      onMessage: (event) => this.received(event),
      onState: (state) => this.socketState(state),
    });
    this.socket.connect();
    await Promise.all([this.loadSubjects(), this.resumeActiveSession()]);
  }

  stop() {
    if (this.socket) this.socket.stop();
    this.socket = null;
    clearTimeout(this.idleTimer);
    this.setSession(null);
    for (const { chart, output } of Object.values(this.charts)) {
      chart.clear();
      output.textContent = "–";
    }
    byId("feedback-feed").replaceChildren();
    byId("live-values").replaceChildren();
    delete byId("charts-panel").dataset.metrics;
    this.updateFeedCount();
    this.sent = 0;
    const counter = byId("activity-sent");
    counter.dataset.count = "0";
    counter.textContent = "";
  }

  async token(forceRefresh) {
    return forceRefresh ? (await this.api.refreshOnce()).access : this.api.accessToken();
  }

  // --- subjects ---------------------------------------------------------------------------

  async loadSubjects() {
    try {
      const body = await this.api.request("GET", "/api/study/subjects/?page_size=100");
      const select = byId("subject-select");
      select.replaceChildren(...listOf(body).map((subject) => this.subjectOption(subject)));
      show(byId("subjects-empty"), select.options.length === 0);
      byId("start-session").disabled = select.options.length === 0;
    } catch (error) {
      this.showError(error);
    }
  }

  subjectOption(subject) {
    return element("option", subject.name, { value: String(subject.id) });
  }

  async createSubject(event) {
    event.preventDefault();
    const input = byId("subject-name");
    try {
      const subject = await this.api.request("POST", "/api/study/subjects/", {
        name: input.value.trim(),
      });
      input.value = "";
      const option = this.subjectOption(subject);
      byId("subject-select").append(option);
      option.selected = true;
      show(byId("subjects-empty"), false);
      byId("start-session").disabled = false;
      this.showError(null);
    } catch (error) {
      this.showError(error);
    }
  }

  // --- session lifecycle ------------------------------------------------------------------

  // Continues the learner's live session (of `subjectId` when given) after a reload.
  async resumeActiveSession(subjectId = null) {
    try {
      const sessions = listOf(await this.api.request("GET", `${REALTIME_API}active_sessions/`));
      const active = sessions.find(
        (session) => subjectId === null || session.subject_id === subjectId,
      );
      if (active && this.sessionId === null) {
        this.setSession(active.session_id, active.subject_name, new Date(active.started_at));
        // What the analyzer said before this tab opened, oldest first (the feed shows newest
        // on top).
        for (const item of active.live?.feedback ?? []) this.addFeedback(item);
      }
    } catch (error) {
      this.showError(error);
    }
  }

  async startSession(event) {
    event.preventDefault();
    const select = byId("subject-select");
    const goal = byId("goal-minutes").value;
    const body = { subject_id: Number(select.value) };
    if (goal !== "") body.goal_minutes = Number(goal);
    byId("start-session").disabled = true;
    try {
      const started = await this.api.request("POST", `${REALTIME_API}start_session/`, body);
      byId("session-report").hidden = true;
      this.setSession(started.session_id, select.selectedOptions[0]?.textContent ?? "");
      this.showError(null);
    } catch (error) {
      this.showError(error);
      // Already running (another tab, or before a reload): continue that session.
      if (error.code === "session_already_active") await this.resumeActiveSession(body.subject_id);
    } finally {
      byId("start-session").disabled = false;
    }
  }

  async endSession() {
    if (this.sessionId === null) return;
    byId("end-session").disabled = true;
    try {
      const report = await this.api.request("POST", `${REALTIME_API}end_session/`, {
        session_id: this.sessionId,
      });
      this.showReport(report);
      this.setSession(null);
      this.showError(null);
    } catch (error) {
      this.showError(error);
    } finally {
      byId("end-session").disabled = false;
    }
  }

  setSession(sessionId, subjectName = "", startedAt = new Date()) {
    this.sessionId = sessionId;
    this.attention = "focus";
    this.panel.dataset.sessionId = sessionId === null ? "" : String(sessionId);
    this.panel.dataset.state = sessionId === null ? "none" : "live";
    show(byId("session-live"), sessionId !== null);
    show(byId("session-setup"), sessionId === null);
    const since = startedAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    byId("session-info").textContent =
      sessionId === null ? "" : t("session_info", { subject: subjectName, since });
    clearInterval(this.heartbeatTimer);
    if (sessionId !== null) {
      this.inputSeen();
      this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    }
  }

  heartbeat() {
    if (this.sessionId === null || !this.socket) return;
    // Not queued: a heartbeat from before a reconnect says nothing.
    this.socket.send({ type: "heartbeat", session_id: this.sessionId }, { queue: false });
  }

  showReport(report) {
    const rows = REPORT_FIELDS.filter((field) => field in report).map((field) => [
      t(field),
      typeof report[field] === "number" ? formatValue(report[field]) : String(report[field]),
    ]);
    fillDefinitions(byId("report-values"), rows);
    const feedback = Array.isArray(report.feedback) ? report.feedback : [];
    byId("report-feedback").replaceChildren(
      ...feedback.map((item) => element("li", typeof item === "string" ? item : item.message)),
    );
    show(byId("session-report"));
  }

  showError(error) {
    byId("session-error").textContent = error ? errorText(error) : "";
  }

  // --- activity ---------------------------------------------------------------------------

  activityButton(button) {
    const event = button.dataset.activity;
    if (event === "focus" || event === "idle") return this.attentionChanged(event);
    const data = "correct" in button.dataset ? { correct: button.dataset.correct === "true" } : {};
    this.sendActivity(event, data);
  }

  attentionChanged(state) {
    if (this.sessionId === null || state === this.attention) return;
    this.attention = state;
    this.sendActivity(state);
  }

  inputSeen() {
    clearTimeout(this.idleTimer);
    if (this.attention === "idle") this.attentionChanged("focus");
    this.idleTimer = setTimeout(() => {
      // A hidden tab is already "blur"; idle means present but doing nothing.
      if (document.visibilityState === "visible") this.attentionChanged("idle");
    }, IDLE_AFTER_MS);
  }

  scrolled() {
    this.inputSeen();
    const now = Date.now();
    if (now - this.lastScroll < SCROLL_INTERVAL_MS) return;
    this.lastScroll = now;
    this.sendActivity("scroll");
  }

  sendActivity(event, data = {}) {
    if (this.sessionId === null || !this.socket) return;
    this.socket.send({ type: "activity", session_id: this.sessionId, event, data });
    this.sent += 1;
    const counter = byId("activity-sent");
    counter.dataset.count = String(this.sent);
    counter.dataset.last = event;
    counter.textContent = t("activity_sent", { count: this.sent });
  }

  // --- server events ----------------------------------------------------------------------

  received(event) {
    if (event.session_id !== undefined && this.sessionId !== null) {
      if (String(event.session_id) !== String(this.sessionId)) return; // another tab's session
    }
    if (event.type === "metrics") this.showMetrics(event);
    else if (event.type === "feedback") this.addFeedback(event);
    else if (event.type === "error") this.serverError(event);
    else if (event.type === "session_ended") this.sessionEnded(event);
  }

  showMetrics(event) {
    for (const [field, { chart, output }] of Object.entries(this.charts)) {
      if (typeof event[field] !== "number") continue;
      chart.push(event[field]);
      output.textContent = formatValue(event[field]);
    }
    const rows = LIVE_FIELDS.filter((field) => field in event).map((field) => [
      t(field),
      field === "attention" ? t(`attention_${event.attention}`) : String(event[field]),
    ]);
    fillDefinitions(byId("live-values"), rows);
    // The last event as received, for scripts and tests reading the page.
    byId("charts-panel").dataset.metrics = JSON.stringify(event);
  }

  addFeedback(event) {
    const feed = byId("feedback-feed");
    // `at`: the server's clock (epoch seconds) when the rule fired.
    const time = new Date(typeof event.at === "number" ? event.at * 1000 : Date.now())
      .toLocaleTimeString();
    const item = element("li", "", { "data-kind": event.rule ?? "" });
    item.append(element("time", time), element("span", event.message ?? ""));
    feed.prepend(item);
    while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
    this.updateFeedCount();
  }

  updateFeedCount() {
    const feed = byId("feedback-feed");
    feed.dataset.count = String(feed.children.length);
    show(byId("feedback-empty"), feed.children.length === 0);
  }

  serverError(event) {
    byId("session-error").textContent = event.message ?? "";
    // The session ended while this tab was away (the inactivity sweep): stop sending into it.
    if (event.code === "not_found") this.setSession(null);
  }

  sessionEnded(event) {
    if (event.report) this.showReport(event.report);
    this.setSession(null);
  }

  socketState(state) {
    const badge = byId("analytics-status");
    badge.dataset.state = state;
    badge.textContent = t(`socket_${state}`);
  }
}
