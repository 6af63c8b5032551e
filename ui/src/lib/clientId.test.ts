import { describe, expect, it } from "vitest";
import { descriptionLength, formatClientId, formatRemaining, normaliseClientId } from "./clientId";

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

describe("validity countdown", () => {
  it("shows minutes and seconds, and hours when there are any", () => {
    expect(formatRemaining(3_600_000)).toBe("1:00:00");
    expect(formatRemaining(3_599_000)).toBe("59:59");
    expect(formatRemaining(61_000)).toBe("1:01");
    expect(formatRemaining(500)).toBe("0:01");
    expect(formatRemaining(-5)).toBe("0:00");
  });
});

describe("description length", () => {
  it("counts characters, not UTF-16 units", () => {
    expect(descriptionLength("café")).toBe(4);
    expect(descriptionLength("🙂🙂")).toBe(2);
  });
});
