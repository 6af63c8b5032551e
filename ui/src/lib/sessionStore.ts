// One store for the session view, fed by the engine's "session" events.
// Events are the truth; the snapshot only fills the gap before the first.
import { writable } from "svelte/store";
import { api } from "./api";
import { IDLE_VIEW, type SessionView } from "./session";

export const session = writable<SessionView>(IDLE_VIEW);

let started: Promise<void> | null = null;

export function followSession(): Promise<void> {
  started ??= (async () => {
    let heard = false;
    await api.onSession((view) => {
      heard = true;
      session.set(view);
    });
    const snapshot = await api.sessionView();
    if (!heard) session.set(snapshot);
  })();
  return started;
}
