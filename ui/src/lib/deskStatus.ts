// What the status line says about the link to the support desk.
import type { DeskStatus } from "./api";
import { catalogs, type MessageKey } from "./i18n";

export type Tone = "ok" | "busy" | "bad";

export interface StatusLine {
  key: MessageKey;
  params: Record<string, number>;
  tone: Tone;
}

/** The message for `status` at time `nowMs` (the countdown needs the clock). */
export function describeDeskStatus(status: DeskStatus, nowMs: number): StatusLine {
  switch (status.state) {
    case "connected":
      return { key: "desk.connected", params: {}, tone: "ok" };
    case "connecting":
      return { key: "desk.connecting", params: {}, tone: "busy" };
    case "idle":
      return { key: "desk.idle", params: {}, tone: "bad" };
    case "offline": {
      // A problem the person can fix (the proxy's password) says so.
      const problem = `desk.${status.problem}`;
      if (status.problem && problem in catalogs.en) return { key: problem as MessageKey, params: {}, tone: "bad" };
      const seconds = Math.ceil((status.retryAtMs - nowMs) / 1000);
      return seconds > 0
        ? { key: "desk.offline", params: { seconds }, tone: "bad" }
        : { key: "desk.retrying", params: {}, tone: "bad" };
    }
  }
}
