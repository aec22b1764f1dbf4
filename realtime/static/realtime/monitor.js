// Staff system monitor: `{"type": "system", ...}` snapshots from /ws/system/monitoring/.
// The server decides who is staff: a 4403 close hides the panel for everyone else.

import { byId, fillDefinitions, show } from "./dom.js";
import { LineChart, formatValue } from "./linechart.js";
import { t, tOr } from "./messages.js";
import { LiveSocket } from "./socket.js";

const MONITOR_PATH = "/ws/system/monitoring/";
const ISO_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

// Snapshot fields as `[path, text]` rows (`path`: the keys leading to the value): nested
// objects (queue lengths per queue) give one row per leaf; list items are named by their
// `stream`/`name` field (else their index); numbers are formatted, a missing reading (null) is
// a dash; the event's `type` is left out.
export function snapshotRows(snapshot, prefix = []) {
  return Object.entries(snapshot).flatMap(([key, value]) => {
    if (prefix.length === 0 && key === "type") return [];
    return valueRows([...prefix, key], value);
  });
}

function valueRows(path, value) {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => {
      if (item === null || typeof item !== "object") {
        return valueRows([...path, String(index)], item);
      }
      const label = String(item.stream ?? item.name ?? index);
      const rest = Object.fromEntries(
        Object.entries(item).filter(([key]) => key !== "stream" && key !== "name"),
      );
      return snapshotRows(rest, [...path, label]);
    });
  }
  if (value !== null && typeof value === "object") return snapshotRows(value, path);
  if (value === null || value === undefined) return [[path, "–"]];
  if (typeof value === "number") return [[path, formatValue(value)]];
  const text = ISO_DATETIME.test(value) ? new Date(value).toLocaleTimeString() : String(value);
  return [[path, text]];
}

// The label of a snapshot row: `monitor.<a.b.c>` from the catalog, else a pattern with one key
// as `*` (queue, route and stream names vary) and `{name}` filled in, else the dotted path.
export function labelFor(parts) {
  const exact = tOr(`monitor.${parts.join(".")}`, null);
  if (exact !== null) return exact;
  for (let index = parts.length - 1; index >= 0; index -= 1) {
    const pattern = parts.map((part, at) => (at === index ? "*" : part)).join(".");
    const template = tOr(`monitor.${pattern}`, null);
    if (template !== null) return template.replace("{name}", parts[index]);
  }
  return parts.join(".");
}

// The first numeric field found among `paths` ("a.b" walks nested objects).
export function firstNumber(snapshot, paths) {
  for (const path of paths) {
    let value = snapshot;
    for (const key of path.split(".")) value = value == null ? value : value[key];
    if (typeof value === "number") return value;
  }
  return null;
}

export class MonitorPanel {
  constructor(api) {
    this.api = api;
    this.panel = byId("monitor-panel");
    this.socket = null;
    this.snapshots = 0;
    this.cpu = this.chart("cpu");
    this.memory = this.chart("memory");
  }

  chart(name) {
    const chart = new LineChart(byId(`chart-${name}`), { label: t(name), min: 0, max: 100 });
    return { chart, output: byId(`${name}-value`) };
  }

  start() {
    this.snapshots = 0;
    this.socket = new LiveSocket(MONITOR_PATH, {
      tokenProvider: async (force) =>
        force ? (await this.api.refreshOnce()).access : this.api.accessToken(),
      onMessage: (event) => this.received(event),
      onState: (state) => this.socketState(state),
    });
    this.socket.connect();
  }

  stop() {
    if (this.socket) this.socket.stop();
    this.socket = null;
    show(this.panel, false);
    this.cpu.chart.clear();
    this.memory.chart.clear();
    byId("monitor-values").replaceChildren();
  }

  received(event) {
    if (event.type !== "system") return;
    show(this.panel);
    this.snapshots += 1;
    this.panel.dataset.snapshots = String(this.snapshots);
    fillDefinitions(
      byId("monitor-values"),
      snapshotRows(event).map(([path, text]) => [labelFor(path), text]),
    );
    this.plot(this.cpu, firstNumber(event, ["cpu_percent"]));
    this.plot(this.memory, firstNumber(event, ["memory_percent"]));
  }

  plot({ chart, output }, value) {
    if (value === null) return;
    chart.push(value);
    output.textContent = formatValue(value);
  }

  socketState(state) {
    this.panel.dataset.state = state;
    const badge = byId("monitor-status");
    badge.dataset.state = state;
    badge.textContent = t(`socket_${state}`);
    // Only staff get this far; everyone else is refused (4403) and never sees the panel.
    if (state === "forbidden" || state === "unauthenticated") show(this.panel, false);
  }
}
