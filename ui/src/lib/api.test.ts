import { describe, expect, it } from "vitest";
import { isApiError, toApiError } from "./api";

describe("api errors", () => {
  it("recognises the {code, message} shape the Rust side sends", () => {
    expect(isApiError({ code: "settings_io", message: "disk full" })).toBe(true);
    expect(isApiError({ code: 3, message: "x" })).toBe(false);
    expect(isApiError("boom")).toBe(false);
  });

  it("wraps anything else as unexpected", () => {
    expect(toApiError("boom")).toEqual({ code: "unexpected", message: "boom" });
    const e = { code: "x", message: "y" };
    expect(toApiError(e)).toBe(e);
  });
});
