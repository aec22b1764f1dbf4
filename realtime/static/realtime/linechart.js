// A small SVG line chart for live series (no library: the dashboard works offline).
//
// The geometry is a set of pure functions (exported for the browser tests); `LineChart` keeps
// the last `capacity` points and mirrors its state on the host element as data attributes
// (`data-points`, `data-latest`) so tests and other scripts can read what is drawn.

const SVG_NS = "http://www.w3.org/2000/svg";

export const VIEW = Object.freeze({ width: 320, height: 120, padLeft: 34, padRight: 6, padY: 8 });

// The smallest "nice" number (1, 2, 2.5, 5 times a power of ten) at or above `value`, so an
// auto-scaled axis ends on a readable figure. Zero and negatives give 1.
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

// The y range of the axis: fixed bounds when given, else 0 up to a nice ceiling of the data.
export function axisRange(values, { min = 0, max = null } = {}) {
  if (max !== null) return { min, max };
  return { min, max: niceCeiling(Math.max(min, ...values)) };
}

// Chart coordinates of `values` (oldest first) spread evenly over `capacity` slots and
// right-aligned, so new points enter at the right edge. Values outside the range are clamped.
export function scalePoints(values, range, capacity, view = VIEW) {
  const plotWidth = view.width - view.padLeft - view.padRight;
  const step = capacity > 1 ? plotWidth / (capacity - 1) : 0;
  const offset = capacity - values.length;
  return values.map((value, index) => [
    round(view.padLeft + (offset + index) * step),
    yFor(value, range, view),
  ]);
}

// The y coordinate of `value` (SVG y grows downwards), clamped to the range.
export function yFor(value, range, view = VIEW) {
  const plotHeight = view.height - 2 * view.padY;
  const span = range.max - range.min || 1;
  const clamped = Math.min(range.max, Math.max(range.min, value));
  return round(view.padY + plotHeight * (1 - (clamped - range.min) / span));
}

// The `points` attribute of an SVG polyline.
export function polylinePoints(points) {
  return points.map(([x, y]) => `${x},${y}`).join(" ");
}

// At most two decimals, none from 100 up, no trailing zeros: 56.8, 0.09, 149.
export function formatValue(value) {
  if (!Number.isFinite(value)) return "–";
  return String(Number(value.toFixed(Math.abs(value) >= 100 ? 0 : 2)));
}

function round(number) {
  return Math.round(number * 100) / 100;
}

function svgElement(name, attributes = {}) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

export class LineChart {
  // `host` is an element (the chart replaces its content); options: `label` (accessible name),
  // `min`/`max` (fixed axis; without `max` the axis grows with the data), `capacity`.
  constructor(host, { label, min = 0, max = null, capacity = 60 } = {}) {
    this.host = host;
    this.options = { min, max };
    this.capacity = capacity;
    this.values = [];
    this.svg = svgElement("svg", {
      viewBox: `0 0 ${VIEW.width} ${VIEW.height}`,
      role: "img",
      "aria-label": label ?? "",
      class: "chart-svg",
    });
    this.grid = svgElement("g", { class: "chart-grid" });
    this.line = svgElement("polyline", { class: "chart-line", fill: "none" });
    this.dot = svgElement("circle", { class: "chart-dot", r: "3", visibility: "hidden" });
    this.svg.append(this.grid, this.line, this.dot);
    host.replaceChildren(this.svg);
    this.render();
  }

  push(value) {
    const number = Number(value);
    if (!Number.isFinite(number)) return;
    this.values.push(number);
    if (this.values.length > this.capacity) this.values.shift();
    this.render();
  }

  clear() {
    this.values = [];
    this.render();
  }

  render() {
    const range = axisRange(this.values, this.options);
    this.renderGrid(range);
    const points = scalePoints(this.values, range, this.capacity);
    this.line.setAttribute("points", polylinePoints(points));
    const last = points.at(-1);
    this.dot.setAttribute("visibility", last ? "visible" : "hidden");
    if (last) {
      this.dot.setAttribute("cx", String(last[0]));
      this.dot.setAttribute("cy", String(last[1]));
    }
    this.host.dataset.points = String(this.values.length);
    this.host.dataset.latest = this.values.length ? String(this.values.at(-1)) : "";
    this.host.dataset.max = String(range.max);
  }

  renderGrid(range) {
    const ticks = [range.min, (range.min + range.max) / 2, range.max];
    this.grid.replaceChildren(
      ...ticks.flatMap((tick) => {
        const y = String(yFor(tick, range));
        const x2 = String(VIEW.width - VIEW.padRight);
        const label = svgElement("text", { x: String(VIEW.padLeft - 4), y: String(+y + 3) });
        label.textContent = formatValue(tick);
        return [svgElement("line", { x1: String(VIEW.padLeft), x2, y1: y, y2: y }), label];
      }),
    );
  }
}
