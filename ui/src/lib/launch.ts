// What the launch decided, in the terms the screens use
// (src-tauri/src/launch/held.rs is the owner).
import type { AppInfo, Mode } from "./api";

/** A verification code in groups of four, as people compare it aloud. */
export function groupCode(code: string): string {
  return code.match(/.{1,4}/g)?.join(" ") ?? "";
}

/** The mode to show: the one this run is held to, else the saved one. */
export function shownMode(info: AppInfo | null, saved: Mode | null): Mode | null {
  return info?.launch.mode ?? saved;
}

/** This run is held to a mode: the way back to the start screen is hidden. */
export function modeIsHeld(info: AppInfo): boolean {
  return info.launch.mode !== null;
}
