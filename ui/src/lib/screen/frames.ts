// One frame from the app to a screen view: decoded, or counted as
// malformed; the canvas keeps the received-frames counter the end-to-end
// tests read (`data-frames`).
import { ScreenDecoder, timesOf } from "./decoder";
import { StatsMeter } from "./stats";
import { parseFrame } from "./wire";

export function takeFrame(
  buffer: ArrayBuffer,
  at: number,
  decoder: ScreenDecoder | null,
  meter: StatsMeter,
  canvas: HTMLCanvasElement | undefined,
): void {
  try {
    const frame = parseFrame(buffer);
    decoder?.push(frame, timesOf(frame, at));
  } catch {
    meter.dropped("malformed");
  }
  if (canvas) canvas.dataset.frames = String(meter.snapshot(Date.now()).frames);
}
