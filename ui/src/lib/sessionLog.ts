// The running session's log (src-tauri/src/session/log.rs): chat lines and
// events, numbered per session. Live "session-log" events and the snapshot
// from `session_log` merge by sequence number, so none is shown twice.
import { writable } from "svelte/store";
import { api } from "./api";
import type { EventCode } from "./generated/codes";
import { catalogs, type MessageKey } from "./i18n";

export type Author = "me" | "peer";

export type LogEntry =
  | { kind: "chat"; atMs: number; from: Author; text: string }
  | { kind: "event"; atMs: number; code: EventCode; detail: string };

export type LogItem = LogEntry & { session: string; seq: number };

/** The characters a chat line may have (MAX_CHAT_CHARS in log.rs). */
export const MAX_CHAT_CHARS = 4000;

export const sessionLog = writable<LogItem[]>([]);

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

async function refresh(): Promise<void> {
  const snapshot = await api.sessionLog();
  sessionLog.update((current) => mergeLog(current, snapshot));
}

export function followLog(): Promise<void> {
  started ??= (async () => {
    await api.onSessionLog((item) => {
      let gap = false;
      sessionLog.update((current) => {
        const merged = mergeLog(current, [item]);
        gap = hasGap(merged);
        return merged;
      });
      if (gap) refresh().catch(() => {});
    });
    await refresh().catch(() => {});
  })();
  return started;
}

export const chatApi = {
  send: (text: string) => api.sessionChat(text),
};
