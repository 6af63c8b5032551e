// The expert's workspace during a session: which side panel is open (chat,
// files, system information, notes or the session log) and how wide it is, or which tab its
// own window shows when the expert popped it out. The remote screen takes
// the rest of the window. The choice outlives a session: the next one
// opens the way the expert left the last.
import { get, writable } from "svelte/store";
import { api } from "./api";

export type PanelTab = "chat" | "files" | "shell" | "system" | "notes" | "log";
export const PANEL_TABS: PanelTab[] = ["chat", "files", "shell", "system", "notes", "log"];

/** Each tab's title, for its panel's name. */
export const PANEL_TITLES = {
  chat: "chat.title",
  files: "browser.title",
  shell: "shell.title",
  system: "system.title",
  notes: "notes.title",
  log: "log.title",
} as const satisfies Record<PanelTab, string>;

/** The tab named by a panel window's address (`?panel=chat`), if any. */
export function panelTabOf(search: string): PanelTab | null {
  const tab = new URLSearchParams(search).get("panel");
  return PANEL_TABS.find((t) => t === tab) ?? null;
}

export interface PanelState {
  /** The tab shown; null: the panel is closed. */
  tab: PanelTab | null;
  /** CSS pixels. */
  width: number;
}

export const MIN_PANEL_WIDTH = 260;
export const DEFAULT_PANEL_WIDTH = 340;
/** The screen keeps at least this share of the window. */
export const MAX_PANEL_SHARE = 0.6;

/** The session starts with the chat open: the expert greets the client. */
export const panel = writable<PanelState>({ tab: "chat", width: DEFAULT_PANEL_WIDTH });

/** The tab the panel's own window shows; null: the panel is in the main
 * window (or closed). Rust says, as the window opens, switches or closes. */
export const panelWindow = writable<PanelTab | null>(null);

let following: Promise<unknown> | null = null;

/** Follows the panel window; idempotent. When it closes, the tab it
 * showed comes back beside the screen. */
export function followPanelWindow(): void {
  following ??= api.onPanelWindow((tab) => {
    const shown = get(panelWindow);
    if (tab === null && shown !== null) panel.update((state) => ({ ...state, tab: shown }));
    panelWindow.set(tab);
  });
}

/** The toolbar's buttons: a tab's button opens that tab, or closes the
 * panel when that tab is already shown. */
export function toggled(state: PanelState, tab: PanelTab): PanelState {
  return { ...state, tab: state.tab === tab ? null : tab };
}

/** A width the window can hold: at least the minimum, and never so wide
 * the screen gets less than its share. */
export function clampWidth(width: number, windowWidth: number): number {
  const most = Math.max(MIN_PANEL_WIDTH, Math.floor(windowWidth * MAX_PANEL_SHARE));
  return Math.round(Math.min(most, Math.max(MIN_PANEL_WIDTH, width)));
}

/** The keyboard's steps on the panel's resize handle. */
export function widthForKey(key: string, width: number, windowWidth: number): number | null {
  const step = 24;
  switch (key) {
    case "ArrowLeft":
      return clampWidth(width + step, windowWidth);
    case "ArrowRight":
      return clampWidth(width - step, windowWidth);
    case "Home":
      return clampWidth(MIN_PANEL_WIDTH, windowWidth);
    case "End":
      return clampWidth(Number.MAX_SAFE_INTEGER, windowWidth);
    default:
      return null;
  }
}

/** The session whose safety code the expert said was compared aloud; until
 * then the code is shown large over the screen. */
export const safetyCompared = writable<string | null>(null);
