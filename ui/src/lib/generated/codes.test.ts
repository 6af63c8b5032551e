import { describe, expect, test } from "vitest";
import { catalogs } from "../i18n";
import { eventMessageKey } from "../sessionLog";
import { noticeKey } from "../session";
import { DESK_ERROR_CODES, DESK_PROBLEMS, EVENT_CODES, NOTICE_SEVERITY, type NoticeCode } from "./codes";

// The codes come from the Rust lists (codes.ts is generated): a code the
// engine or the desk can send with no words here fails this test.
describe("every code the app receives has words", () => {
  const notices = [...Object.keys(NOTICE_SEVERITY), ...DESK_ERROR_CODES] as NoticeCode[];

  test("each notice, for both modes, in every language", () => {
    for (const mode of ["client", "expert"] as const) {
      for (const code of notices) {
        const key = noticeKey(mode, code);
        expect(key, `${mode} ${code}`).not.toBe("error.generic");
        for (const catalog of Object.values(catalogs)) {
          expect(catalog[key].trim(), `${key}`).not.toBe("");
        }
      }
    }
  });

  test("each desk refusal has its own error text", () => {
    for (const code of DESK_ERROR_CODES) {
      expect(`error.${code}` in catalogs.en, code).toBe(true);
    }
  });

  test("each reason the desk link names has its own words", () => {
    for (const code of DESK_PROBLEMS) {
      for (const catalog of Object.values(catalogs)) {
        expect((catalog as Record<string, string>)[`desk.${code}`]?.trim(), code).toBeTruthy();
      }
    }
  });

  test("each log event has its own words", () => {
    for (const code of EVENT_CODES) {
      expect(eventMessageKey(code), code).not.toBe("log.other");
    }
  });
});
