import { describe, expect, it } from "vitest";
import { InputQueue } from "./inputQueue";
import type { InputEvent } from "./remoteInput";

function recorder() {
  const batches: InputEvent[][] = [];
  const done: (() => void)[] = [];
  const queue = new InputQueue((events) => {
    batches.push(events);
    return new Promise<void>((resolve) => done.push(resolve));
  });
  // Lets the batch on its way arrive, and the queue send the next.
  const arrive = async () => {
    done.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { queue, batches, arrive };
}

const key = (code: string, down: boolean): InputEvent => ({ t: "key", code, down });

describe("the input queue", () => {
  it("keeps the order: what comes while a batch travels goes next, together", async () => {
    const { queue, batches, arrive } = recorder();
    queue.push(key("AltLeft", true));
    queue.push(key("Tab", true));
    queue.push(key("Tab", false));
    expect(batches).toEqual([[key("AltLeft", true)]]);
    await arrive();
    expect(batches[1]).toEqual([key("Tab", true), key("Tab", false)]);
    await arrive();
    queue.push(key("AltLeft", false));
    expect(batches[2]).toEqual([key("AltLeft", false)]);
  });

  it("keeps only the last of consecutive pointer moves", async () => {
    const { queue, batches, arrive } = recorder();
    queue.push({ t: "button", button: "left", down: true });
    queue.push({ t: "move", x: 0.1, y: 0.1 });
    queue.push({ t: "move", x: 0.2, y: 0.2 });
    queue.push({ t: "button", button: "left", down: false });
    queue.push({ t: "move", x: 0.3, y: 0.3 });
    await arrive();
    expect(batches[1]).toEqual([
      { t: "move", x: 0.2, y: 0.2 },
      { t: "button", button: "left", down: false },
      { t: "move", x: 0.3, y: 0.3 },
    ]);
  });

  it("goes on after a batch fails", async () => {
    const batches: InputEvent[][] = [];
    const queue = new InputQueue((events) => {
      batches.push(events);
      return Promise.reject(new Error("no session"));
    });
    queue.push(key("KeyA", true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    queue.push(key("KeyA", false));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(batches).toEqual([[key("KeyA", true)], [key("KeyA", false)]]);
  });
});
