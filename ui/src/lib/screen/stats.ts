// Running figures for the stats overlay and `make bench`. One meter per
// view (RemoteScreen.svelte owns it); the decoder and the socket report to
// it. Per frame it keeps the time of every stage the frame went through,
// and from those the p50/p95 of each stage over the last
// LATENCY_SAMPLES frames; it also counts frames per second sent (from the
// numbers the client gives its frames), received, decoded and painted over
// a sliding window, and frames dropped by reason.
//
// All times are Unix milliseconds. The client's stamps (captured, encoded,
// sent) use the client's clock, the rest the expert's; across two
// computers the stages that cross from one to the other include the clocks'
// difference (on one machine, as in the tests and the bench, there is none).
const WINDOW_MS = 2000;
const LATENCY_SAMPLES = 600;

/** The moments one frame passed, as far as they are known. */
export interface FrameTimes {
  /** Client: captured, encoded, handed to RTP. */
  captured?: number | null;
  encoded?: number | null;
  sent?: number | null;
  /** Expert's app: the frame's last packet arrived; handed to the sink. */
  received?: number | null;
  sink?: number | null;
  /** Webview: the bytes reached JavaScript; decode() called; the decoder's
   * output; drawn on the canvas; the animation frame after that. */
  js?: number | null;
  decode?: number | null;
  output?: number | null;
  drawn?: number | null;
  painted?: number | null;
}

type Moment = keyof FrameTimes;

/** Each stage the overlay shows: its key, and the moments it spans. The
 * two "whole" stages stand in when the finer ones are not known. */
export const STAGES = [
  ["capture_encoded", "captured", "encoded"],
  ["encoded_sent", "encoded", "sent"],
  ["sent_received", "sent", "received"],
  ["received_sink", "received", "sink"],
  ["capture_sink", "captured", "sink"],
  ["sink_js", "sink", "js"],
  ["js_decode", "js", "decode"],
  ["decode_output", "decode", "output"],
  ["output_drawn", "output", "drawn"],
  ["output_painted", "output", "painted"],
  ["capture_painted", "captured", "painted"],
] as const satisfies readonly (readonly [string, Moment, Moment])[];

export type StageKey = (typeof STAGES)[number][0];

/** Why a frame was not shown. */
export type DropReason =
  /** A delta frame while the decoder waits for a keyframe. */
  | "waiting_keyframe"
  /** The decoder fell behind: skipped to the next keyframe. */
  | "behind"
  /** The decoder failed on it. */
  | "decode_error"
  /** The app's queue to this view overflowed (the view stalled). */
  | "delivery_gap"
  /** The bytes were not a screen frame. */
  | "malformed"
  /** Sent by the client but never here (a gap in its frame numbers): lost
   * on the way, or dropped by the app's queue to a stalled view. */
  | "lost"
  /** Decoded, but a newer picture was ready before it could be drawn. */
  | "superseded";

export interface StagePercentiles {
  p50: number | null;
  p95: number | null;
  samples: number;
}

export interface ScreenStats {
  width: number;
  height: number;
  /** Frames the client sent per second, from its frame numbers; null
   * until a frame carried one. */
  fpsSent: number | null;
  /** Frames received per second (over the last two seconds). */
  fps: number;
  fpsDecoded: number;
  fpsPainted: number;
  kbps: number;
  /** Capture → decoded, ms; null until a frame carried its capture time. */
  latencyP50: number | null;
  latencyP95: number | null;
  /** Of which in the webview (sink → decoded), p50, ms. */
  webviewP50: number | null;
  /** Every stage by its key in STAGES. */
  stages: Record<string, StagePercentiles>;
  /** Frames the client sent since the first numbered one here; received,
   * keyframes among them, decoded, painted. */
  sent: number;
  frames: number;
  keyframes: number;
  decoded: number;
  painted: number;
  decodeErrors: number;
  dropped: Partial<Record<DropReason, number>>;
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Unix milliseconds with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function keep(samples: number[], value: number | null): void {
  if (value === null || value < 0 || !Number.isFinite(value)) return;
  samples.push(value);
  if (samples.length > LATENCY_SAMPLES) samples.shift();
}

function span(times: FrameTimes, from: Moment, to: Moment): number | null {
  const a = times[from];
  const b = times[to];
  return a == null || b == null ? null : b - a;
}

export class StatsMeter {
  private arrivals: { at: number; bytes: number }[] = [];
  /** Numbered frames in the window: when, and the sent count then. */
  private sends: { at: number; sent: number }[] = [];
  private lastNumber: number | null = null;
  private sentCount = 0;
  private decodes: number[] = [];
  private paints: number[] = [];
  private latencies: number[] = [];
  private webview: number[] = [];
  private stageSamples = new Map<string, number[]>(STAGES.map(([key]) => [key, []]));
  private width = 0;
  private height = 0;
  private frames = 0;
  private keyframes = 0;
  private decodedCount = 0;
  private paintedCount = 0;
  private decodeErrors = 0;
  private drops: Partial<Record<DropReason, number>> = {};
  private lastPaintedTimes: FrameTimes | null = null;

  /** The newest painted frame's times (for benchmarks). */
  lastPainted(): FrameTimes | null {
    return this.lastPaintedTimes ? { ...this.lastPaintedTimes } : null;
  }

  received(at: number, bytes: number, keyframe: boolean): void {
    this.frames += 1;
    if (keyframe) this.keyframes += 1;
    this.arrivals.push({ at, bytes });
    this.trim(at);
  }

  /** A live frame carried the client's frame `number` (a wrapping u32):
   * numbers it skipped were sent and never came. A number far behind the
   * last one is a new sender starting over. */
  numbered(at: number, number: number): void {
    const step = this.lastNumber === null ? 1 : (number - this.lastNumber) >>> 0;
    if (step === 0) return;
    const restarted = step > 0x7fffffff;
    this.sentCount += restarted ? 1 : step;
    if (!restarted && step > 1) this.dropped("lost", step - 1);
    this.lastNumber = number;
    this.sends.push({ at, sent: this.sentCount });
    this.trim(at);
  }

  /** A picture came out of the decoder. `latencyMs`: capture → output;
   * `webviewMs`: sink → output. */
  decoded(width: number, height: number, latencyMs: number | null, webviewMs: number | null = null): void {
    this.width = width;
    this.height = height;
    this.decodedCount += 1;
    this.decodes.push(Date.now());
    keep(this.latencies, latencyMs);
    keep(this.webview, webviewMs);
  }

  /** A frame was painted: its whole history is known now. */
  painted(times: FrameTimes): void {
    this.lastPaintedTimes = times;
    this.paintedCount += 1;
    this.paints.push(Date.now());
    for (const [key, from, to] of STAGES) {
      const samples = this.stageSamples.get(key);
      if (samples) keep(samples, span(times, from, to));
    }
  }

  dropped(reason: DropReason, count = 1): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + count;
  }

  decodeError(): void {
    this.decodeErrors += 1;
    this.dropped("decode_error");
  }

  /** Starts a new latency window (for benchmarks). */
  clearLatencies(): void {
    this.latencies = [];
    this.webview = [];
    for (const samples of this.stageSamples.values()) samples.length = 0;
  }

  /** All latency samples kept, oldest first (for benchmarks). */
  latencySamples(): number[] {
    return [...this.latencies];
  }

  /** One stage's samples, oldest first (for benchmarks). */
  stageSamplesOf(key: string): number[] {
    return [...(this.stageSamples.get(key) ?? [])];
  }

  snapshot(now: number): ScreenStats {
    this.trim(now);
    const bytes = this.arrivals.reduce((sum, a) => sum + a.bytes, 0);
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const stages: Record<string, StagePercentiles> = {};
    for (const [key, samples] of this.stageSamples) {
      const ordered = [...samples].sort((a, b) => a - b);
      stages[key] = {
        p50: percentile(ordered, 50),
        p95: percentile(ordered, 95),
        samples: ordered.length,
      };
    }
    const firstSend = this.sends[0];
    const lastSend = this.sends[this.sends.length - 1];
    return {
      width: this.width,
      height: this.height,
      fpsSent:
        this.lastNumber === null
          ? null
          : firstSend && lastSend
            ? ((lastSend.sent - firstSend.sent + 1) * 1000) / WINDOW_MS
            : 0,
      fps: (this.arrivals.length * 1000) / WINDOW_MS,
      fpsDecoded: (this.decodes.length * 1000) / WINDOW_MS,
      fpsPainted: (this.paints.length * 1000) / WINDOW_MS,
      kbps: (bytes * 8) / WINDOW_MS,
      latencyP50: percentile(sorted, 50),
      latencyP95: percentile(sorted, 95),
      webviewP50: percentile([...this.webview].sort((a, b) => a - b), 50),
      stages,
      sent: this.sentCount,
      frames: this.frames,
      keyframes: this.keyframes,
      decoded: this.decodedCount,
      painted: this.paintedCount,
      decodeErrors: this.decodeErrors,
      dropped: { ...this.drops },
    };
  }

  private trim(now: number): void {
    const since = now - WINDOW_MS;
    while (this.arrivals.length > 0 && this.arrivals[0].at < since) this.arrivals.shift();
    while (this.sends.length > 0 && this.sends[0].at < since) this.sends.shift();
    while (this.decodes.length > 0 && this.decodes[0] < since) this.decodes.shift();
    while (this.paints.length > 0 && this.paints[0] < since) this.paints.shift();
  }
}
