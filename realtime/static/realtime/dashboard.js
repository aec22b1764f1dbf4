// Entry point of /dashboard/realtime/: sign-in, then the session, rooms and monitor panels.

import { ApiClient } from "./api.js";
import { byId, errorText, show } from "./dom.js";
import { MonitorPanel } from "./monitor.js";
import { RoomsPanel } from "./rooms.js";
import { SessionPanel } from "./session.js";

class Dashboard {
  constructor() {
    this.api = new ApiClient({ onSignedOut: () => this.showSignIn() });
    this.panels = [
      new SessionPanel(this.api),
      new RoomsPanel(this.api),
      new MonitorPanel(this.api),
    ];
    byId("sign-in-form").addEventListener("submit", (event) => this.signIn(event));
    byId("sign-out").addEventListener("click", () => this.signOut());
  }

  async start() {
    if (!this.api.signedIn) return this.showSignIn();
    try {
      const profile = await this.api.request("GET", "/api/auth/profile/");
      await this.showApp(profile);
    } catch {
      this.showSignIn(); // The saved tokens are dead (refresh refused): sign in again.
    }
  }

  async signIn(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const button = byId("sign-in-submit");
    byId("sign-in-error").textContent = "";
    button.disabled = true;
    try {
      const user = await this.api.signIn(form.email.value.trim(), form.password.value);
      form.password.value = "";
      await this.showApp(user);
    } catch (error) {
      byId("sign-in-error").textContent = errorText(error);
    } finally {
      button.disabled = false;
    }
  }

  async signOut() {
    for (const panel of this.panels) panel.stop();
    await this.api.signOut();
    this.showSignIn();
  }

  async showApp(user) {
    byId("who-email").textContent = user.email;
    show(byId("who"));
    show(byId("sign-in-panel"), false);
    show(byId("app"));
    document.body.dataset.state = "signed-in";
    await Promise.all(this.panels.map((panel) => panel.start(user)));
  }

  showSignIn() {
    for (const panel of this.panels) panel.stop();
    show(byId("app"), false);
    show(byId("who"), false);
    show(byId("sign-in-panel"));
    document.body.dataset.state = "signed-out";
    byId("sign-in-email").focus();
  }
}

new Dashboard().start();
