import { describe, expect, it } from "vitest";
import { parseCursor, placement, shapePixels } from "./cursor";

describe("cursor messages", () => {
  it("reads positions and shapes", () => {
    expect(parseCursor('{"type":"position","x":3,"y":-1,"visible":true}')).toEqual({
      type: "position",
      x: 3,
      y: -1,
      visible: true,
    });
    const shape = parseCursor('{"type":"shape","id":7,"width":1,"height":1,"hot_x":0,"hot_y":0,"rgba":"AQIDBA=="}');
    expect(shape?.type).toBe("shape");
    if (shape?.type === "shape") expect([...(shapePixels(shape) ?? [])]).toEqual([1, 2, 3, 4]);
  });

  it("refuses what breaks the limits", () => {
    for (const bad of [
      "nope",
      "null",
      '{"type":"position","x":1.5,"y":0,"visible":true}',
      '{"type":"shape","id":1,"width":129,"height":1,"hot_x":0,"hot_y":0,"rgba":""}',
      '{"type":"shape","id":1,"width":1,"height":1,"hot_x":1,"hot_y":0,"rgba":"AQIDBA=="}',
    ]) {
      expect(parseCursor(bad), bad).toBeNull();
    }
    const short = parseCursor('{"type":"shape","id":1,"width":2,"height":1,"hot_x":0,"hot_y":0,"rgba":"AQIDBA=="}');
    expect(short && short.type === "shape" ? shapePixels(short) : "not a shape").toBeNull();
  });

  it("places the hotspot on the scaled picture", () => {
    // A 1280-pixel picture shown 640 CSS pixels wide: half size.
    expect(placement(100, 50, 4, 2, 1280, 640)).toEqual({ left: 48, top: 24, scale: 0.5 });
    expect(placement(10, 10, 0, 0, 0, 640).scale).toBe(1);
  });
});
