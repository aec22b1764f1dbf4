// REST client of the dashboard: JWT sign-in, refresh (rotating) and the error envelope.
//
// Tokens live in sessionStorage (this tab only, gone when it closes), never in cookies or
// localStorage. A refresh rotates the refresh token and kills the old one, so concurrent
// requests that all see a 401 must share one refresh: `refreshOnce` keeps the promise.

import { t } from "./messages.js";

const STORAGE_KEY = "studymate.dashboard.tokens";
// Refresh this long before the access token expires rather than waiting for a 401.
const EXPIRY_MARGIN_SECONDS = 30;

// The rows of a paginated list response (`{count, next, previous, results}`).
export function listOf(body) {
  return body && Array.isArray(body.results) ? body.results : [];
}

export class ApiError extends Error {
  constructor(status, code, message, fields = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

// The claims of a JWT (unverified: only the server trusts them; the page reads `exp`).
export function jwtClaims(token) {
  try {
    const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

export function expiresSoon(token, nowSeconds = Date.now() / 1000) {
  const { exp } = jwtClaims(token);
  return typeof exp !== "number" || exp - EXPIRY_MARGIN_SECONDS <= nowSeconds;
}

export class TokenStore {
  constructor(storage = window.sessionStorage) {
    this.storage = storage;
  }

  get() {
    try {
      const saved = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? "null");
      return saved && saved.access && saved.refresh ? saved : null;
    } catch {
      return null;
    }
  }

  set({ access, refresh }) {
    this.storage.setItem(STORAGE_KEY, JSON.stringify({ access, refresh }));
  }

  clear() {
    this.storage.removeItem(STORAGE_KEY);
  }
}

async function errorFrom(response, fallbackMessage) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's page): keep the fallback.
  }
  const error = body && body.error ? body.error : {};
  return new ApiError(
    response.status,
    error.code ?? "http_error",
    error.message ?? t("request_failed", { what: fallbackMessage, status: response.status }),
    error.fields ?? null,
  );
}

export class ApiClient {
  // `onSignedOut` runs when the session cannot be renewed (refresh refused).
  constructor({ store = new TokenStore(), onSignedOut = () => {}, fetchImpl = null } = {}) {
    this.store = store;
    this.onSignedOut = onSignedOut;
    this.fetch = fetchImpl ?? window.fetch.bind(window);
    this.refreshing = null;
  }

  get signedIn() {
    return this.store.get() !== null;
  }

  async signIn(email, password) {
    const body = await this.send("POST", "/api/auth/login/", { email, password }, null);
    this.store.set(body);
    return body.user;
  }

  async signOut() {
    const tokens = this.store.get();
    this.store.clear();
    if (tokens) {
      // Best effort: the refresh token dies server-side; the page is signed out either way.
      await this.send("POST", "/api/auth/logout/", { refresh: tokens.refresh }, null).catch(
        () => null,
      );
    }
  }

  // A valid access token, refreshed first when it is about to expire.
  async accessToken() {
    const tokens = this.store.get();
    if (!tokens) throw new ApiError(401, "not_authenticated", t("not_signed_in"));
    if (!expiresSoon(tokens.access)) return tokens.access;
    return (await this.refreshOnce()).access;
  }

  refreshOnce() {
    if (!this.refreshing) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async refresh() {
    const tokens = this.store.get();
    if (!tokens) throw new ApiError(401, "not_authenticated", t("not_signed_in"));
    try {
      const renewed = await this.send("POST", "/api/auth/refresh/", { refresh: tokens.refresh });
      this.store.set(renewed);
      return renewed;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.store.clear();
        this.onSignedOut();
      }
      throw error;
    }
  }

  // An authenticated request; a 401 triggers one refresh and one retry.
  async request(method, path, body = undefined) {
    const access = await this.accessToken();
    try {
      return await this.send(method, path, body, access);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      const renewed = await this.refreshOnce();
      return this.send(method, path, body, renewed.access);
    }
  }

  async send(method, path, body, access = null) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (access) headers.Authorization = `Bearer ${access}`;
    const response = await this.fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
    if (!response.ok) throw await errorFrom(response, method + " " + path);
    if (response.status === 204 || response.status === 205) return null;
    return response.json();
  }
}
