import { get } from "svelte/store";
import { describe, expect, it, vi } from "vitest";

// The notification plugin needs Tauri; the counts do not.
vi.mock("@tauri-apps/plugin-notification", () => ({
  isPermissionGranted: async () => false,
  requestPermission: async () => "denied",
  sendNotification: () => {},
}));

const { unreadByTab, unreadCount } = await import("./chatAlerts");
const { logs, sessionLog } = await import("./sessionLog");
const { shownTab, tabList } = await import("./tabs");
type LogItem = import("./sessionLog").LogItem;

function line(session: string, seq: number, from: "me" | "peer", text: string): LogItem {
  return { kind: "chat", atMs: seq, from, text, session, seq };
}

describe("session tabs", () => {
  it("name the shown tab only when it is open", () => {
    tabList.set({ tabs: [], shown: 0 });
    expect(shownTab()).toBeNull();
    tabList.set({ tabs: [3, 4], shown: 4 });
    expect(shownTab()).toBe(4);
    tabList.set({ tabs: [3], shown: 4 });
    expect(shownTab()).toBeNull();
  });

  it("keep each tab's log and unread lines apart", () => {
    tabList.set({ tabs: [1, 2], shown: 1 });
    logs.set(
      new Map([
        [1, [line("a", 0, "peer", "hi from A")]],
        [2, [line("b", 0, "peer", "hi from B"), line("b", 1, "me", "hello"), line("b", 2, "peer", "again")]],
      ]),
    );
    expect(get(sessionLog).map((item) => item.session)).toEqual(["a"]);
    expect(get(unreadByTab)).toEqual(
      new Map([
        [1, 1],
        [2, 2],
      ]),
    );
    expect(get(unreadCount)).toBe(1);
    tabList.set({ tabs: [1, 2], shown: 2 });
    expect(get(sessionLog).map((item) => item.seq)).toEqual([0, 1, 2]);
    expect(get(unreadCount)).toBe(2);
  });
});
