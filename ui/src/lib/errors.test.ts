import { describe, expect, it } from "vitest";
import { errorKey } from "./errors";

describe("error messages", () => {
  it("uses the code's own message when there is one", () => {
    expect(errorKey({ code: "description_too_long", message: "61" })).toBe("error.description_too_long");
    expect(errorKey({ code: "desk_offline", message: "" })).toBe("error.desk_offline");
  });

  it("falls back to a general message", () => {
    expect(errorKey({ code: "something_new", message: "" })).toBe("error.generic");
  });
});
