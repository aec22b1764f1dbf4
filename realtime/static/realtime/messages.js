// Human text for the scripts, translated by the server: the page embeds it as a JSON data block
// (`<script type="application/json" id="dashboard-messages">`, never executed, CSP-safe).

let catalog = null;

function load() {
  const element = document.getElementById("dashboard-messages");
  try {
    return element ? JSON.parse(element.textContent) : {};
  } catch {
    return {};
  }
}

// The message `key`, with `{name}` placeholders filled from `values`.
export function t(key, values = {}) {
  catalog ??= load();
  const template = catalog[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    name in values ? String(values[name]) : match,
  );
}

// The message `key` when the catalog has one, else `fallback` (for open-ended keys).
export function tOr(key, fallback) {
  catalog ??= load();
  return key in catalog ? t(key) : fallback;
}
