import { describe, expect, it } from "vitest";
import { formatSize, formatUptime } from "./systemInfo";

describe("system information figures", () => {
  it("reads sizes in binary units", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(1536)).toBe("1.5 KiB");
    expect(formatSize(8 * 1024 ** 3)).toBe("8.0 GiB");
    expect(formatSize(2 ** 60)).toBe("1024.0 PiB");
  });

  it("reads an uptime in days, hours and minutes", () => {
    expect(formatUptime(59)).toBe("0 min");
    expect(formatUptime(3 * 3600 + 120)).toBe("3 h 2 min");
    expect(formatUptime(2 * 86400 + 60)).toBe("2 d 0 h 1 min");
  });
});
