// The Settings screen's stored values, loaded once at start and replaced on
// every Save. Rust owns them (src-tauri/src/settings); this is the UI's copy.
import { writable } from "svelte/store";
import { api, type Preferences, type PreferencesUpdate } from "./api";
import { isLanguage, language } from "./i18n";

export const preferences = writable<Preferences | null>(null);

/** Counts relinks to another desk: an ID from the old one is gone. */
export const deskRelinked = writable(0);

/** The form's starting values: what is stored, as text. */
export function formOf(stored: Preferences): PreferencesUpdate {
  return {
    signalingUrl: stored.signalingUrl ?? "",
    proxyHost: stored.proxyHost,
    proxyPort: stored.proxyPort === null ? "" : String(stored.proxyPort),
    proxyUser: stored.proxyUser,
    proxyPassword: null,
    proxyDomain: stored.proxyDomain,
    downloadDir: stored.downloadDir ?? "",
    defaultQuality: stored.defaultQuality,
  };
}

/** The UI's language: switched at once, then remembered. */
export async function chooseLanguage(next: string): Promise<void> {
  if (!isLanguage(next)) return;
  language.set(next);
  await api.setLanguage(next);
}
