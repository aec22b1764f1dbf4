// A JSON WebSocket that authenticates with `?token=` and reconnects with backoff.
//
// Close codes (API.md): 4401 bad or expired token -> get a fresh token and reconnect (once in a
// row; a second 4401 means the account is gone), 4403 not allowed -> stop for good. Anything
// else (server restart, network) -> reconnect after 1, 2, 4 ... 15 s. A socket closes with 4401
// when its access token expires: a 4401 after a socket stayed open a while starts a new row.

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
// Activity sent while reconnecting waits here, oldest dropped first beyond this many.
const MAX_QUEUED = 50;
// Open at least this long before a 4401: it expired (or was revoked), it was not refused.
const LONG_LIVED_MS = 10000;

// `ws://host/path?token=` for a path (or an absolute ws/wss/http/https URL from the server).
export function socketUrl(pathOrUrl, token, base = window.location) {
  const url = new URL(pathOrUrl, base.href);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  url.searchParams.set("token", token);
  return url.href;
}

export class LiveSocket {
  // `path`: the WebSocket path; `tokenProvider`: async (forceRefresh) => access token;
  // handlers: onMessage(event), onState(state, detail) with state one of
  // "connecting" | "open" | "closed" | "forbidden" | "unauthenticated".
  constructor(path, { tokenProvider, onMessage = () => {}, onState = () => {} }) {
    this.path = path;
    this.tokenProvider = tokenProvider;
    this.onMessage = onMessage;
    this.onState = onState;
    this.socket = null;
    this.queue = [];
    this.attempt = 0;
    this.unauthorizedInARow = 0;
    this.openedAt = null;
    this.stopped = false;
    this.timer = null;
  }

  async connect(forceRefresh = false) {
    this.stopped = false;
    this.onState("connecting");
    let token;
    try {
      token = await this.tokenProvider(forceRefresh);
    } catch {
      this.finish("unauthenticated");
      return;
    }
    if (this.stopped) return;
    const socket = new WebSocket(socketUrl(this.path, token));
    this.socket = socket;
    socket.addEventListener("open", () => this.opened());
    socket.addEventListener("message", (event) => this.received(event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  // Sends now, or queues (unless `queue` is false) until the socket is open again.
  send(message, { queue = true } = {}) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    if (!queue) return false;
    this.queue.push(message);
    if (this.queue.length > MAX_QUEUED) this.queue.shift();
    return false;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.queue = [];
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  opened() {
    this.attempt = 0;
    this.openedAt = Date.now();
    this.onState("open");
    for (const message of this.queue.splice(0)) this.socket.send(JSON.stringify(message));
  }

  received(data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      return; // The server only sends JSON; ignore anything else rather than break the page.
    }
    if (event && typeof event.type === "string") this.onMessage(event);
  }

  closed(socket, code) {
    if (socket !== this.socket || this.stopped) return;
    this.socket = null;
    if (code === CLOSE_FORBIDDEN) return this.finish("forbidden");
    const lived = this.openedAt !== null && Date.now() - this.openedAt >= LONG_LIVED_MS;
    this.openedAt = null;
    if (code === CLOSE_UNAUTHENTICATED) {
      if (lived) this.unauthorizedInARow = 0;
      this.unauthorizedInARow += 1;
      if (this.unauthorizedInARow > 1) return this.finish("unauthenticated");
    } else {
      this.unauthorizedInARow = 0;
    }
    this.onState("closed", { code });
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    // A 4401 is answered at once with a freshly refreshed token (the old one may be revoked
    // before its expiry, e.g. by a password change).
    const unauthenticated = code === CLOSE_UNAUTHENTICATED;
    this.timer = setTimeout(() => this.connect(unauthenticated), unauthenticated ? 0 : delay);
  }

  finish(state) {
    this.stopped = true;
    this.queue = [];
    this.onState(state);
  }
}
