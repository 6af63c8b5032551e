// The consent dialog's Accept and Decline stay disabled for a moment after
// a request appears, and again when another request takes its place. A
// click or key press meant for whatever was under the pointer or had the
// focus a moment ago (a double click, a page that moved, a lure that
// times its request to a click: click-jacking) must not answer a request
// the person has not had a chance to read.

/** How long a newly shown request's buttons stay disabled. */
export const ARM_DELAY_MS = 1000;

/** The request on screen and when it appeared. */
interface Shown {
  session: string;
  sinceMs: number;
}

/** Remembers which request is on screen since when. Pure: time is passed in. */
export class ConsentGate {
  #shown: Shown | null = null;

  /**
   * The dialog now shows `session` (`null`: no dialog). The same request
   * keeps its time; a new one starts the delay again. Returns how long
   * until its buttons may be used (0: now).
   */
  show(session: string | null, nowMs: number): number {
    if (session === null) {
      this.#shown = null;
    } else if (this.#shown?.session !== session) {
      this.#shown = { session, sinceMs: nowMs };
    }
    return this.armsInMs(nowMs);
  }

  /** How long until the buttons may be used (0: now, or no dialog). */
  armsInMs(nowMs: number): number {
    if (!this.#shown) return 0;
    return Math.max(0, this.#shown.sinceMs + ARM_DELAY_MS - nowMs);
  }
}
