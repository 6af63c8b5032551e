// The running session's log (src-tauri/src/session/log.rs): chat lines and
// events, numbered per session. Live "session-log" events and the snapshot
// from `session_log` merge by sequence number, so none is shown twice.
import { derived, writable } from "svelte/store";
import { api } from "./api";
import type { EventCode } from "./generated/codes";
import { catalogs, type MessageKey } from "./i18n";
import { tabList, type TabId } from "./tabs";

export type Author = "me" | "peer";

export type LogEntry =
  | { kind: "chat"; atMs: number; from: Author; text: string }
  | { kind: "event"; atMs: number; code: EventCode; detail: string };

export type LogItem = LogEntry & { session: string; seq: number };

/** The characters a chat line may have (MAX_CHAT_CHARS in log.rs). */
export const MAX_CHAT_CHARS = 4000;

/** Each tab's log, its session's only (a new session starts a new log). */
export const logs = writable<Map<TabId, LogItem[]>>(new Map());

/** The shown tab's log. */
export const sessionLog = derived([logs, tabList], ([$logs, $list]) => $logs.get($list.shown) ?? []);

/** Adds `incoming` to `current`: a new session starts a new log. */
export function mergeLog(current: LogItem[], incoming: LogItem[]): LogItem[] {
  let items = current;
  for (const item of incoming) {
    if (items.length > 0 && items[0].session !== item.session) items = [];
    if (!items.some((known) => known.seq === item.seq)) items = [...items, item];
  }
  return [...items].sort((a, b) => a.seq - b.seq);
}

/** The message for an event's code; one the UI does not know yet is shown
 * with its code and detail. */
export function eventMessageKey(code: string): MessageKey {
  const key = `log.${code}`;
  return (key in catalogs.en ? key : "log.other") as MessageKey;
}

/** True when the numbers skip one (the UI fell behind the events). */
export function hasGap(items: LogItem[]): boolean {
  return items.some((item, index) => item.seq !== index);
}

let started: Promise<void> | null = null;

function merge(tab: TabId, incoming: LogItem[]): boolean {
  let gap = false;
  logs.update((current) => {
    const merged = mergeLog(current.get(tab) ?? [], incoming);
    gap = hasGap(merged);
    return new Map(current).set(tab, merged);
  });
  return gap;
}

async function refresh(tab: TabId): Promise<void> {
  merge(tab, await api.sessionLog(tab));
}

export function followLog(): Promise<void> {
  started ??= (async () => {
    await api.onSessionLog(({ tab, ...item }) => {
      if (merge(tab, [item])) refresh(tab).catch(() => {});
    });
    // A closed tab's log goes with it; a new one starts with what it has.
    tabList.subscribe((list) => {
      logs.update((current) => new Map([...current].filter(([tab]) => list.tabs.includes(tab))));
      for (const tab of list.tabs) refresh(tab).catch(() => {});
    });
  })();
  return started;
}

export const chatApi = {
  send: (text: string) => api.sessionChat(text),
};
