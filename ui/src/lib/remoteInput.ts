// The expert's mouse and keyboard on the remote view, as the client's
// input channel expects them (src-tauri/src/input/event.rs). Positions are
// fractions of the remote monitor; keys go by physical `code`.
import { api } from "./api";
import { InputQueue } from "./inputQueue";

export type MouseButton = "left" | "middle" | "right";
export type SpecialAction = "ctrl_alt_del" | "alt_tab" | "super" | "print_screen";
export const SPECIAL_ACTIONS: SpecialAction[] = ["ctrl_alt_del", "alt_tab", "super", "print_screen"];

export type InputEvent =
  | { t: "move"; x: number; y: number }
  | { t: "button"; button: MouseButton; down: boolean }
  | { t: "wheel"; dx: number; dy: number }
  | { t: "key"; code: string; down: boolean }
  | { t: "text"; text: string }
  | { t: "special"; action: SpecialAction }
  | { t: "release_all" };

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Where a pointer at (clientX, clientY) falls on the drawn remote screen. */
export function pointerAt(rect: Rect, clientX: number, clientY: number): InputEvent | null {
  if (rect.width <= 0 || rect.height <= 0) return null;
  return {
    t: "move",
    x: clamp01((clientX - rect.left) / rect.width),
    y: clamp01((clientY - rect.top) / rect.height),
  };
}

/** DOM `MouseEvent.button` to the protocol's button. */
export function buttonOf(domButton: number): MouseButton | null {
  return ({ 0: "left", 1: "middle", 2: "right" } as Record<number, MouseButton>)[domButton] ?? null;
}

/** Wheel movement in whole steps (a notch is about 100 px, or 3 lines). */
export function wheelSteps(deltaX: number, deltaY: number, deltaMode: number): InputEvent | null {
  const per = deltaMode === 1 ? 3 : deltaMode === 2 ? 1 : 100;
  const step = (d: number) => Math.max(-50, Math.min(50, Math.trunc(d / per) || Math.sign(d)));
  const dx = deltaX === 0 ? 0 : step(deltaX);
  const dy = deltaY === 0 ? 0 : step(deltaY);
  return dx === 0 && dy === 0 ? null : { t: "wheel", dx, dy };
}

/**
 * A key event: by physical code when the browser names one, else as text
 * (a character from an input method or a dead-key composition).
 */
export function keyOf(code: string, key: string, down: boolean): InputEvent | null {
  if (code && code !== "Unidentified") return { t: "key", code, down };
  if (down && [...key].length === 1) return { t: "text", text: key };
  return null;
}

const queue = new InputQueue((events) => api.remoteInput(events));

/** Sends `event` to the client after every event before it (inputQueue.ts). */
export function sendInput(event: InputEvent): void {
  queue.push(event);
}
