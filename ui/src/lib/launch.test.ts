import { describe, expect, it } from "vitest";
import type { AppInfo, LaunchView } from "./api";
import { groupCode, modeIsHeld, shownMode } from "./launch";

function info(launch: Partial<LaunchView>): AppInfo {
  return { launch: { mode: null, desk: null, link: null, badDeskFile: null, ...launch } } as AppInfo;
}

describe("launch", () => {
  it("groups a verification code by four", () => {
    expect(groupCode("6d6f6e6b65797320")).toBe("6d6f 6e6b 6579 7320");
    expect(groupCode("abcdef")).toBe("abcd ef");
    expect(groupCode("")).toBe("");
  });

  it("shows the held mode over the saved one", () => {
    expect(shownMode(info({ mode: "client" }), "expert")).toBe("client");
    expect(shownMode(info({}), "expert")).toBe("expert");
    expect(shownMode(null, null)).toBeNull();
    expect(modeIsHeld(info({ mode: "client" }))).toBe(true);
    expect(modeIsHeld(info({}))).toBe(false);
  });
});
