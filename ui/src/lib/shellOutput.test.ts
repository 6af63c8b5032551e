import { describe, expect, it } from "vitest";
import { decodeOutput } from "./shellOutput";

describe("shell output", () => {
  it("decodes base64 to the bytes the shell printed, split characters and all", () => {
    expect([...decodeOutput("b2sK")]).toEqual([0x6f, 0x6b, 0x0a]);
    // "é" is two bytes; a chunk may end between them.
    expect([...decodeOutput("w6k=")]).toEqual([0xc3, 0xa9]);
    expect([...decodeOutput("ww==")]).toEqual([0xc3]);
  });
});
