import { describe, expect, it } from "vitest";
import { formatBytes, formatEta } from "./transfers";

describe("transfer figures", () => {
  it("reads sizes in powers of 1000", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(1_073_741_824)).toBe("1.1 GB");
    expect(formatBytes(250_000_000)).toBe("250 MB");
  });

  it("reads time left as a clock", () => {
    expect(formatEta(null)).toBe("–");
    expect(formatEta(Infinity)).toBe("–");
    expect(formatEta(41.2)).toBe("0:42");
    expect(formatEta(3725)).toBe("1:02:05");
  });
});
