import { describe, expect, it } from "vitest";
import { hasGap, mergeLog, type LogItem } from "./sessionLog";

const chat = (session: string, seq: number, text: string): LogItem => ({
  session,
  seq,
  kind: "chat",
  atMs: seq,
  from: "peer",
  text,
});

describe("the session log", () => {
  it("merges live entries and a snapshot without duplicates, in order", () => {
    const live = mergeLog([], [chat("s", 2, "c")]);
    const merged = mergeLog(live, [chat("s", 0, "a"), chat("s", 1, "b"), chat("s", 2, "c")]);
    expect(merged.map((i) => i.seq)).toEqual([0, 1, 2]);
    expect(hasGap(merged)).toBe(false);
    expect(hasGap(live)).toBe(true);
  });

  it("starts over for a new session", () => {
    const old = mergeLog([], [chat("s1", 0, "old")]);
    expect(mergeLog(old, [chat("s2", 0, "new")])).toEqual([chat("s2", 0, "new")]);
  });
});
