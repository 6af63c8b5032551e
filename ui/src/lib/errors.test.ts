import { describe, expect, it } from "vitest";
import { errorKey, errorText } from "./errors";

describe("error messages", () => {
  it("uses the code's own message when there is one", () => {
    expect(errorKey({ code: "description_too_long", message: "61" })).toBe("error.description_too_long");
    expect(errorKey({ code: "desk_offline", message: "" })).toBe("error.desk_offline");
  });

  it("falls back to a general message", () => {
    expect(errorKey({ code: "something_new", message: "" })).toBe("error.generic");
  });
});

describe("errorText", () => {
  const translate = (key: string) => `[${key}]`;
  it("words a known code and keeps the message of an unknown one", () => {
    expect(errorText(translate, "unsafe_name", "x")).toBe("[error.unsafe_name]");
    expect(errorText(translate, "brand_new", "the engine's words")).toBe("the engine's words");
  });
});
