import { describe, expect, it } from "vitest";

// The queue lives with the terminals; xterm.js needs a DOM, so the module
// is loaded only for the class under test.
describe("the shell's typing queue", async () => {
  const { TypingQueue } = await import("./shells");

  it("sends in order, one at a time, and batches what was typed meanwhile", async () => {
    const sent: string[] = [];
    let inFlight = 0;
    let most = 0;
    const queue = new TypingQueue(async (text) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // The app answers out of order: later sends would finish first.
      await new Promise((done) => setTimeout(done, 10 - sent.length));
      sent.push(text);
      inFlight -= 1;
    });
    for (const key of "stty size\r") queue.push(key);
    await new Promise((done) => setTimeout(done, 100));
    expect(sent.join("")).toBe("stty size\r");
    expect(sent[0]).toBe("s");
    expect(sent.length).toBe(2);
    expect(most).toBe(1);
  });
});

describe("the terminal's copy keys", async () => {
  const { isCopyKey } = await import("./shells");
  const key = (code: string, mods: Partial<KeyboardEvent> = {}) =>
    ({ code, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods }) as KeyboardEvent;

  it("copies with the desktop terminals' keys", () => {
    expect(isCopyKey(key("KeyC", { ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isCopyKey(key("Insert", { ctrlKey: true }))).toBe(true);
  });

  it("leaves Ctrl+C, pasting and other keys to the shell and the webview", () => {
    expect(isCopyKey(key("KeyC", { ctrlKey: true }))).toBe(false);
    expect(isCopyKey(key("KeyV", { ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(isCopyKey(key("Insert", { shiftKey: true }))).toBe(false);
    expect(isCopyKey(key("KeyC", { ctrlKey: true, shiftKey: true, altKey: true }))).toBe(false);
  });
});
