import { describe, expect, it } from "vitest";
import { describeDeskStatus } from "./deskStatus";

describe("desk status line", () => {
  it("says connected and connecting plainly", () => {
    expect(describeDeskStatus({ state: "connected" }, 0).key).toBe("desk.connected");
    expect(describeDeskStatus({ state: "connecting" }, 0).tone).toBe("busy");
  });

  it("counts down to the next attempt, rounding up", () => {
    const offline = { state: "offline" as const, retryAtMs: 10_500, reason: "refused" };
    expect(describeDeskStatus(offline, 0)).toEqual({ key: "desk.offline", params: { seconds: 11 }, tone: "bad" });
    expect(describeDeskStatus(offline, 9_600).params).toEqual({ seconds: 1 });
  });

  it("says it is retrying once the countdown has run out", () => {
    const offline = { state: "offline" as const, retryAtMs: 1_000, reason: "refused" };
    expect(describeDeskStatus(offline, 1_000).key).toBe("desk.retrying");
  });

  it("names the proxy's refusal instead of counting down", () => {
    const offline = { state: "offline" as const, retryAtMs: 10_500, reason: "407", problem: "proxy_auth_refused" };
    expect(describeDeskStatus(offline, 0)).toEqual({ key: "desk.proxy_auth_refused", params: {}, tone: "bad" });
    const unknown = { ...offline, problem: "from_a_newer_app" };
    expect(describeDeskStatus(unknown, 0).key).toBe("desk.offline");
  });
});
