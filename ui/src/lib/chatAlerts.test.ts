import { describe, expect, it } from "vitest";
import { chatRead, linesAfter, markOf, notificationFor } from "./chatAlerts";
import type { LogItem } from "./sessionLog";

const chat = (seq: number, from: "me" | "peer", session = "s1"): LogItem => ({
  kind: "chat",
  atMs: seq,
  from,
  text: `line ${seq}`,
  session,
  seq,
});
const event = (seq: number): LogItem => ({ kind: "event", atMs: seq, code: "granted", detail: "view", session: "s1", seq });

describe("chat alerts", () => {
  const log = [event(0), chat(1, "peer"), chat(2, "me"), chat(3, "peer")];

  it("reads the chat when it is shown in a focused window or one kept on top", () => {
    expect(chatRead(true, true, false)).toBe(true);
    expect(chatRead(true, false, true)).toBe(true);
    expect(chatRead(true, false, false)).toBe(false);
    expect(chatRead(false, true, true)).toBe(false);
  });

  it("counts only the other side's lines after the mark", () => {
    expect(linesAfter(log, null).map((l) => l.seq)).toEqual([1, 3]);
    expect(linesAfter(log, { session: "s1", seq: 1 }).map((l) => l.seq)).toEqual([3]);
    expect(linesAfter(log, markOf(log, null))).toEqual([]);
  });

  it("a new session's lines are unread whatever the old mark", () => {
    expect(linesAfter([chat(0, "peer", "s2")], { session: "s1", seq: 9 })).toHaveLength(1);
  });

  it("an empty log keeps the mark", () => {
    expect(markOf([], { session: "s1", seq: 4 })).toEqual({ session: "s1", seq: 4 });
  });

  it("notifies the newest unseen line, only while unfocused", () => {
    expect(notificationFor(log, null, false)?.seq).toBe(3);
    expect(notificationFor(log, null, true)).toBeNull();
    expect(notificationFor(log, { session: "s1", seq: 3 }, false)).toBeNull();
    expect(notificationFor([...log, chat(4, "me")], { session: "s1", seq: 3 }, false)).toBeNull();
  });
});
