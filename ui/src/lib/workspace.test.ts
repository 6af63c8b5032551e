import { describe, expect, it } from "vitest";
import { clampWidth, MIN_PANEL_WIDTH, panelTabOf, toggled, widthForKey } from "./workspace";

describe("the expert's side panel", () => {
  it("a panel window's address names one of the tabs, or none", () => {
    expect(panelTabOf("?panel=log")).toBe("log");
    expect(panelTabOf("?panel=files&x=1")).toBe("files");
    expect(panelTabOf("")).toBeNull();
    expect(panelTabOf("?panel=settings")).toBeNull();
  });

  it("a tab's button opens that tab, and closes the panel when it is shown", () => {
    const closed = { tab: null, width: 300 };
    expect(toggled(closed, "files")).toEqual({ tab: "files", width: 300 });
    expect(toggled({ tab: "files", width: 300 }, "chat").tab).toBe("chat");
    expect(toggled({ tab: "chat", width: 300 }, "chat").tab).toBeNull();
  });

  it("keeps its width between the minimum and 60 % of the window", () => {
    expect(clampWidth(10, 1024)).toBe(MIN_PANEL_WIDTH);
    expect(clampWidth(400, 1024)).toBe(400);
    expect(clampWidth(900, 1024)).toBe(614);
    // A window too narrow for both: the minimum wins.
    expect(clampWidth(300, 300)).toBe(MIN_PANEL_WIDTH);
  });

  it("grows leftwards with the arrow keys", () => {
    expect(widthForKey("ArrowLeft", 300, 1024)).toBe(324);
    expect(widthForKey("ArrowRight", 300, 1024)).toBe(276);
    expect(widthForKey("Home", 300, 1024)).toBe(MIN_PANEL_WIDTH);
    expect(widthForKey("End", 300, 1024)).toBe(614);
    expect(widthForKey("a", 300, 1024)).toBeNull();
  });
});
