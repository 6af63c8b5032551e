// Running figures for the stats overlay: frames and bits per second over a
// sliding window, and capture → decoded latency percentiles.
const WINDOW_MS = 2000;
const LATENCY_SAMPLES = 600;

export interface ScreenStats {
  width: number;
  height: number;
  fps: number;
  kbps: number;
  /** Capture → decoded, ms; null until a frame carried its capture time. */
  latencyP50: number | null;
  latencyP95: number | null;
  /** Of which in the webview (arrival in the app → decoded), p50, ms. */
  webviewP50: number | null;
  frames: number;
  keyframes: number;
  decodeErrors: number;
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function keep(samples: number[], value: number | null): void {
  if (value === null || value < 0) return;
  samples.push(value);
  if (samples.length > LATENCY_SAMPLES) samples.shift();
}

export class StatsMeter {
  private arrivals: { at: number; bytes: number }[] = [];
  private latencies: number[] = [];
  private webview: number[] = [];
  private width = 0;
  private height = 0;
  private frames = 0;
  private keyframes = 0;
  private decodeErrors = 0;

  received(at: number, bytes: number, keyframe: boolean): void {
    this.frames += 1;
    if (keyframe) this.keyframes += 1;
    this.arrivals.push({ at, bytes });
    this.trim(at);
  }

  /** `webviewMs` is the part after the frame reached the app. */
  decoded(width: number, height: number, latencyMs: number | null, webviewMs: number | null = null): void {
    this.width = width;
    this.height = height;
    keep(this.latencies, latencyMs);
    keep(this.webview, webviewMs);
  }

  decodeError(): void {
    this.decodeErrors += 1;
  }

  /** Starts a new latency window (for benchmarks). */
  clearLatencies(): void {
    this.latencies = [];
    this.webview = [];
  }

  /** All latency samples kept, oldest first (for benchmarks). */
  latencySamples(): number[] {
    return [...this.latencies];
  }

  snapshot(now: number): ScreenStats {
    this.trim(now);
    const bytes = this.arrivals.reduce((sum, a) => sum + a.bytes, 0);
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      width: this.width,
      height: this.height,
      fps: (this.arrivals.length * 1000) / WINDOW_MS,
      kbps: (bytes * 8) / WINDOW_MS,
      latencyP50: percentile(sorted, 50),
      latencyP95: percentile(sorted, 95),
      webviewP50: percentile([...this.webview].sort((a, b) => a - b), 50),
      frames: this.frames,
      keyframes: this.keyframes,
      decodeErrors: this.decodeErrors,
    };
  }

  private trim(now: number): void {
    while (this.arrivals.length > 0 && this.arrivals[0].at < now - WINDOW_MS) this.arrivals.shift();
  }
}
