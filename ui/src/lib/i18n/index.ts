// The message catalogs and the current language. Switching language updates
// every `$t(...)` at once, without a restart.
import { derived, writable } from "svelte/store";
import { en, type MessageKey } from "./en";
import { it } from "./it";

export type { MessageKey };

export const catalogs = { en, it } as const;
export type Language = keyof typeof catalogs;
export const languages: Language[] = ["en", "it"];
/** Each language in its own words, for the language menus. */
export const languageNames: Record<Language, string> = { en: "English", it: "Italiano" };

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && value in catalogs;
}

/** Picks the user's language from the browser's list, English otherwise. */
export function detectLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLanguage(base)) return base;
  }
  return "en";
}

/** Fills `{name}` placeholders; unknown placeholders stay visible. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function translate(
  language: Language,
  key: MessageKey,
  params?: Record<string, string | number>,
): string {
  return format(catalogs[language][key], params);
}

export const language = writable<Language>("en");

export const t = derived(
  language,
  ($language) => (key: MessageKey, params?: Record<string, string | number>) =>
    translate($language, key, params),
);
