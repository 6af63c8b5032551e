import { describe, expect, it } from "vitest";
import { formatClientId, normaliseClientId } from "./clientId";

describe("client IDs", () => {
  it("groups six digits in threes", () => {
    expect(formatClientId("482913")).toBe("482 913");
  });

  it("leaves anything else alone", () => {
    expect(formatClientId("48291")).toBe("48291");
    expect(formatClientId("abcdef")).toBe("abcdef");
  });

  it("accepts pasted separators", () => {
    expect(normaliseClientId(" 482 913 ")).toBe("482913");
    expect(normaliseClientId("482-913")).toBe("482913");
    expect(normaliseClientId("48a913")).toBe("48a913");
  });
});
