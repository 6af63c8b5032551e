// Unread chat lines and desktop notifications for them. A line from the
// other side is unread until the chat is on screen in a focused window;
// while the window is not focused, each new line also raises a desktop
// notification (tauri-plugin-notification).
import { derived, get, writable } from "svelte/store";
import { isPermissionGranted, requestPermission, sendNotification } from "@tauri-apps/plugin-notification";
import { t } from "./i18n";
import { logs, sessionLog, type LogItem } from "./sessionLog";
import { tabList, type TabId } from "./tabs";

/** The last line seen, by session and number. */
export interface Mark {
  session: string;
  seq: number;
}

function isPeerChat(item: LogItem): boolean {
  return item.kind === "chat" && item.from === "peer";
}

function after(item: LogItem, mark: Mark | null): boolean {
  return !mark || mark.session !== item.session || item.seq > mark.seq;
}

/** Lines from the other side after `mark`. */
export function linesAfter(log: LogItem[], mark: Mark | null): LogItem[] {
  return log.filter((item) => isPeerChat(item) && after(item, mark));
}

/** The mark for everything in `log` (null for an empty log). */
export function markOf(log: LogItem[], current: Mark | null): Mark | null {
  const last = log.at(-1);
  return last ? { session: last.session, seq: last.seq } : current;
}

/** The line to show in a notification: at most one, the newest. */
export function notificationFor(
  log: LogItem[],
  notified: Mark | null,
  focused: boolean,
): LogItem | null {
  if (focused) return null;
  return linesAfter(log, notified).at(-1) ?? null;
}

/**
 * Whether lines shown in the chat are read: the chat is on screen, and its
 * window has the focus or stays on top of every other window (the client's
 * session bar), where it is seen without being focused.
 */
export function chatRead(visible: boolean, focused: boolean, onTop: boolean): boolean {
  return visible && (focused || onTop);
}

/** Whether the chat panel is on screen (the expert can hide it). */
export const chatVisible = writable(false);
/** Whether the window stays on top of all others (the client's session bar). */
export const windowOnTop = writable(false);
/** Whether the chat is shown in a window of its own (the expert's panel
 * window), where it is read whatever this window's focus. */
export const chatElsewhere = writable(false);
/**
 * Whether the app's window has the focus: it starts focused, as an app
 * just opened is, and follows the window's focus and blur from then on.
 */
export const windowFocused = writable(true);

/** The last line seen in each tab. */
const seen = writable<Map<TabId, Mark | null>>(new Map());

/** Each tab's unread lines. */
export const unreadByTab = derived([logs, seen], ([$logs, $seen]) => {
  const counts = new Map<TabId, number>();
  for (const [tab, log] of $logs) counts.set(tab, linesAfter(log, $seen.get(tab) ?? null).length);
  return counts;
});

/** The shown tab's unread lines. */
export const unreadCount = derived([unreadByTab, tabList], ([$unread, $list]) => $unread.get($list.shown) ?? 0);

let started = false;

/** Starts counting and notifying; idempotent. `peerName` names the sender
 * of a line in `tab`. */
export function followChatAlerts(peerName: (tab: TabId) => string): void {
  if (started) return;
  started = true;
  const notified = new Map<TabId, Mark | null>();
  for (const [tab, log] of get(logs)) notified.set(tab, markOf(log, null));
  window.addEventListener("focus", () => windowFocused.set(true));
  window.addEventListener("blur", () => windowFocused.set(false));
  // Only the shown tab's chat can be on screen.
  const markSeen = () => {
    if (get(chatElsewhere) || chatRead(get(chatVisible), get(windowFocused), get(windowOnTop))) {
      const tab = get(tabList).shown;
      seen.update((marks) => new Map(marks).set(tab, markOf(get(sessionLog), marks.get(tab) ?? null)));
    }
  };
  chatVisible.subscribe(markSeen);
  windowFocused.subscribe(markSeen);
  windowOnTop.subscribe(markSeen);
  chatElsewhere.subscribe(markSeen);
  tabList.subscribe(markSeen);
  logs.subscribe((all) => {
    const focused = get(windowFocused) || get(chatElsewhere);
    for (const [tab, log] of all) {
      const line = notificationFor(log, notified.get(tab) ?? null, focused);
      notified.set(tab, markOf(log, notified.get(tab) ?? null));
      if (line && line.kind === "chat") notify(get(t)("chat.notifyTitle", { name: peerName(tab) }), line.text);
    }
    markSeen();
  });
  unreadByTab.subscribe((counts) => {
    const count = [...counts.values()].reduce((sum, n) => sum + n, 0);
    document.title = count > 0 ? `(${count}) ${get(t)("app.title")}` : get(t)("app.title");
  });
}

async function notify(title: string, body: string): Promise<void> {
  try {
    let granted = await isPermissionGranted();
    if (!granted) granted = (await requestPermission()) === "granted";
    if (granted) sendNotification({ title, body });
  } catch {
    // No notification service: the unread badge still shows.
  }
}
