// The expert's mouse and keyboard events, in order. Each Tauri command
// runs as its own task, so two events sent as two quick commands could
// reach the client swapped (Alt, then Tab, typed by a program within a
// millisecond arrived as Tab, then Alt). The queue sends one batch at a
// time: events that come while a batch is on its way wait and go together
// in the next one, in the order they came. A pointer move replaces a move
// still waiting just before it: only where the pointer ends up matters.
import type { InputEvent } from "./remoteInput";

export class InputQueue {
  private waiting: InputEvent[] = [];
  private sending = false;

  constructor(private readonly send: (events: InputEvent[]) => Promise<unknown>) {}

  push(event: InputEvent): void {
    const last = this.waiting.at(-1);
    if (event.t === "move" && last?.t === "move") this.waiting[this.waiting.length - 1] = event;
    else this.waiting.push(event);
    if (!this.sending) this.next();
  }

  private next(): void {
    if (this.waiting.length === 0) {
      this.sending = false;
      return;
    }
    const batch = this.waiting;
    this.waiting = [];
    this.sending = true;
    this.send(batch)
      .catch(() => {})
      .finally(() => this.next());
  }
}
