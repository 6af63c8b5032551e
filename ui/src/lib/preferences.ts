// The Settings screen's stored values, loaded once at start and replaced on
// every Save. Rust owns them (src-tauri/src/settings); this is the UI's copy.
import { writable } from "svelte/store";
import { api, type AppInfo, type Preferences, type PreferencesUpdate } from "./api";
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
    sharedDir: stored.sharedDir ?? "",
    defaultQuality: stored.defaultQuality,
  };
}

/**
 * Saves what the Settings screen (or the sign-in form) sends and returns
 * what the app now uses; a switch to another desk drops the old desk's ID.
 */
export async function savePreferences(update: PreferencesUpdate, current: AppInfo): Promise<AppInfo> {
  const settings = await api.savePreferences(update);
  preferences.set(settings.preferences);
  const next = await api.appInfo();
  if (next.signalingUrl !== current.signalingUrl) deskRelinked.update((n) => n + 1);
  return next;
}

/** The UI's language: switched at once, then remembered. */
export async function chooseLanguage(next: string): Promise<void> {
  if (!isLanguage(next)) return;
  language.set(next);
  await api.setLanguage(next);
}
