import { describe, expect, it as test } from "vitest";
import { en } from "./en";
import { it } from "./it";
import { detectLanguage, format, translate } from "./index";

describe("catalogs", () => {
  test("English and Italian have exactly the same keys", () => {
    expect(Object.keys(it).sort()).toEqual(Object.keys(en).sort());
  });

  test("no message is empty", () => {
    for (const catalog of [en, it]) {
      for (const [key, value] of Object.entries(catalog)) {
        expect(value.trim(), key).not.toBe("");
      }
    }
  });

  test("both catalogs use the same placeholders in each message", () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(names(it[key]), key).toEqual(names(en[key]));
    }
  });
});

describe("translate", () => {
  test("fills placeholders", () => {
    expect(format("Details: {code}", { code: "id_expired" })).toBe("Details: id_expired");
    expect(format("{missing} stays", {})).toBe("{missing} stays");
    expect(translate("it", "start.client")).toBe("Ho bisogno di assistenza");
  });

  test("detects the language from the browser list", () => {
    expect(detectLanguage(["it-IT", "en-US"])).toBe("it");
    expect(detectLanguage(["de-DE"])).toBe("en");
  });
});
