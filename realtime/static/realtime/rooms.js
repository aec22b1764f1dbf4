// Active study rooms (GET /api/study/realtime/rooms/), refreshed while the tab is visible.

import { listOf } from "./api.js";
import { byId, element, errorText, show } from "./dom.js";
import { t } from "./messages.js";

const ROOMS_URL = "/api/study/realtime/rooms/?page_size=20";
const REFRESH_MS = 30_000;

export class RoomsPanel {
  constructor(api) {
    this.api = api;
    this.timer = null;
    byId("rooms-refresh").addEventListener("click", () => this.load());
  }

  async start() {
    await this.load();
    this.timer = setInterval(() => {
      if (document.visibilityState === "visible") this.load();
    }, REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.render([]);
  }

  async load() {
    try {
      this.render(listOf(await this.api.request("GET", ROOMS_URL)));
      byId("rooms-error").textContent = "";
    } catch (error) {
      byId("rooms-error").textContent = errorText(error);
    }
  }

  render(rooms) {
    const list = byId("rooms-list");
    list.replaceChildren(...rooms.map((room) => this.roomItem(room)));
    list.dataset.count = String(rooms.length);
    show(byId("rooms-empty"), rooms.length === 0);
  }

  roomItem(room) {
    const item = element("li", "", { "data-room-id": String(room.id) });
    item.append(element("strong", room.name ?? ""));
    const details = [];
    if (room.subject) details.push(room.subject.name);
    if (room.owner) details.push(t("room_owner", { name: room.owner.username }));
    details.push(t("room_members", { count: room.member_count, capacity: room.capacity }));
    details.push(t(room.is_public ? "room_public" : "room_private"));
    if (room.is_member) details.push(t("room_joined"));
    item.append(element("span", details.join(" · "), { class: "muted" }));
    return item;
  }
}
