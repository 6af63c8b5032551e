import { describe, expect, it } from "vitest";
import { buttonOf, keyOf, pointerAt, wheelSteps } from "./remoteInput";

describe("remote input mapping", () => {
  const rect = { left: 100, top: 50, width: 800, height: 450 };

  it("turns a pointer on the canvas into fractions of the remote monitor", () => {
    expect(pointerAt(rect, 100, 50)).toEqual({ t: "move", x: 0, y: 0 });
    expect(pointerAt(rect, 500, 275)).toEqual({ t: "move", x: 0.5, y: 0.5 });
    expect(pointerAt(rect, 2000, -10)).toEqual({ t: "move", x: 1, y: 0 });
    expect(pointerAt({ ...rect, width: 0 }, 1, 1)).toBeNull();
  });

  it("maps buttons and ignores the extra ones", () => {
    expect(buttonOf(0)).toBe("left");
    expect(buttonOf(1)).toBe("middle");
    expect(buttonOf(2)).toBe("right");
    expect(buttonOf(3)).toBeNull();
  });

  it("scrolls in whole, bounded steps", () => {
    expect(wheelSteps(0, 100, 0)).toEqual({ t: "wheel", dx: 0, dy: 1 });
    expect(wheelSteps(0, -3, 1)).toEqual({ t: "wheel", dx: 0, dy: -1 });
    expect(wheelSteps(0, 10, 0)).toEqual({ t: "wheel", dx: 0, dy: 1 });
    expect(wheelSteps(0, 1e9, 0)).toEqual({ t: "wheel", dx: 0, dy: 50 });
    expect(wheelSteps(0, 0, 0)).toBeNull();
  });

  it("sends keys by physical code, and composed characters as text", () => {
    expect(keyOf("KeyZ", "y", true)).toEqual({ t: "key", code: "KeyZ", down: true });
    expect(keyOf("", "€", true)).toEqual({ t: "text", text: "€" });
    expect(keyOf("Unidentified", "ü", false)).toBeNull();
    expect(keyOf("", "Dead", true)).toBeNull();
  });
});
