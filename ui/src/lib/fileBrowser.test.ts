import { describe, expect, it } from "vitest";
import { crumbs, joinPath, localPath, parentOf, tidyPath } from "./fileBrowser";

describe("file browser paths", () => {
  it("joins and splits relative paths", () => {
    expect(joinPath("", "Documents")).toBe("Documents");
    expect(joinPath("Documents", "a.txt")).toBe("Documents/a.txt");
    expect(parentOf("Documents/a.txt")).toBe("Documents");
    expect(parentOf("Documents")).toBe("");
    expect(parentOf("")).toBe("");
  });

  it("makes a trail of folders", () => {
    expect(crumbs("")).toEqual([]);
    expect(crumbs("a/b/c")).toEqual([
      { name: "a", path: "a" },
      { name: "b", path: "a/b" },
      { name: "c", path: "a/b/c" },
    ]);
  });

  it("tidies typed paths and refuses dot segments", () => {
    expect(tidyPath("  Logs ")).toBe("Logs");
    expect(tidyPath("/Documents//old/ ")).toBe("Documents/old");
    expect(tidyPath("")).toBeNull();
    expect(tidyPath(" / ")).toBeNull();
    expect(tidyPath("../etc")).toBeNull();
    expect(tidyPath("a/./b")).toBeNull();
  });

  it("builds absolute local paths", () => {
    expect(localPath("/home/ann", "")).toBe("/home/ann");
    expect(localPath("/home/ann/", "x/y.txt")).toBe("/home/ann/x/y.txt");
  });
});
