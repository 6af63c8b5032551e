// The expert's workspace during a session: which side panel is open (chat,
// files or notes) and how wide it is. The remote screen takes the rest of
// the window. The choice outlives a session: the next one opens the way
// the expert left the last.
import { writable } from "svelte/store";

export type PanelTab = "chat" | "files" | "notes";

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
