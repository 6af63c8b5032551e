// Decodes the client's VP8 frames with WebCodecs and draws each picture
// onto a canvas the moment the decoder outputs it; the next animation
// frame, which composites it, stamps it "painted". (Waiting for an
// animation frame to draw cost 158 ms at the median in the bench: under
// Xvfb WebKit runs animation frames only about ten times a second while
// the machine is busy, and the canvas shows what is drawn at the next
// composite either way.) Decoding never happens in Rust (see
// docs/screen-streaming.md): the app hands over the encoded bytes and the
// webview's decoder does the rest. The view (RemoteScreen.svelte) owns
// one ScreenDecoder; it owns the VideoDecoder and each frame's stage
// times.
//
// Catching up: when a picture comes out while newer frames are still in
// the decoder, it is not drawn (a newer one is moments away) but kept, and
// the next animation frame draws it if nothing newer came. So a burst (the
// app's replay for a view that opened, or frames that waited while the
// page was busy) costs one draw, not one per frame.
//
// Falling behind: decoding is fast, so frames waiting in the decoder are
// decoded through. Only when more than MAX_QUEUE live frames wait, or the
// oldest has waited BEHIND_MS, does the decoder skip every delta frame up
// to the next keyframe and ask for one; a keyframe that arrives while
// frames still wait drops them (reset) and goes straight in. Replayed
// frames never count as behind: they come as a burst on purpose. Nor
// does a decoder that has not put out its first picture yet: it is
// starting (WebKitGTK sets up GStreamer on the first decode, sometimes for
// hundreds of milliseconds), and skipping then would only throw its work
// away and wait for another keyframe; up to STARTING_QUEUE frames wait. A
// decoder that fails is rebuilt, at most once per `backoff`, which doubles
// while failures repeat without a picture in between: no restart loop.
import { nowMs, type FrameTimes, type StatsMeter } from "./stats";
import type { WireFrame } from "./wire";

/** More live frames waiting in the decoder than this means it is behind
 * (400 ms of frames at 30 fps)… */
const MAX_QUEUE = 12;
/** …and so does a live frame that went in this long ago and is not out. */
const BEHIND_MS = 500;
/** Live frames that may wait for a decoder's first picture (2 s at 30 fps). */
const STARTING_QUEUE = 60;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

export function webCodecsAvailable(): boolean {
  return typeof globalThis.VideoDecoder === "function";
}

/** A 16×16 black VP8 keyframe (31 bytes, encoded by GStreamer's vp8enc). */
const WARM_UP_KEYFRAME = "EAIAnQEqEAAQAABHCIWFiIWEiAICAAwNYAD+/6tQgA==";

let warmedUp = false;

/**
 * Has the webview build its VP8 decoder once, before a session needs one:
 * a throwaway decoder decodes a tiny keyframe and is closed. WebKitGTK
 * sets up its GStreamer decoding on the first decode, which took about
 * 850 ms of the first picture in the bench (the first frame reached
 * JavaScript 195 ms after Accept, the first paint came at 1,055 ms). The
 * expert's home calls this; it runs once per page.
 */
export function warmUpDecoder(): void {
  if (warmedUp || !webCodecsAvailable()) return;
  warmedUp = true;
  const decoder = new VideoDecoder({ output: (picture) => picture.close(), error: () => {} });
  const data = Uint8Array.from(atob(WARM_UP_KEYFRAME), (c) => c.charCodeAt(0));
  decoder.configure({ codec: "vp8", optimizeForLatency: true });
  decoder.decode(new EncodedVideoChunk({ type: "key", timestamp: 0, data }));
  decoder
    .flush()
    .catch(() => {})
    .finally(() => {
      if (decoder.state !== "closed") decoder.close();
    });
}

/** What the decoder needs from the page; tests pass fakes. */
export interface Painter {
  /** Runs `callback` before the next repaint. */
  requestFrame(callback: () => void): void;
}

const browserPainter: Painter = {
  requestFrame: (callback) => requestAnimationFrame(() => callback()),
};

/** The stamps a frame carries on the wire (wire.ts), and when it reached
 * JavaScript. */
export function timesOf(frame: WireFrame, js: number): FrameTimes {
  return {
    captured: frame.capturedAtMs,
    encoded: frame.encodedAtMs,
    sent: frame.sentAtMs,
    received: frame.lastPacketAtMs,
    // Stamped when the app handed the frame to its sink (media/sink.rs).
    sink: frame.receivedAtMs,
    js,
  };
}

/** A frame in the decoder: its stage times, and whether it is live (not
 * replayed). */
interface Pending {
  times: FrameTimes;
  live: boolean;
}

export class ScreenDecoder {
  private decoder: VideoDecoder | null = null;
  private waitingForKeyframe = true;
  private sequence = 0;
  /** Frames in the decoder, by chunk timestamp, oldest first. */
  private pending = new Map<number, Pending>();
  /** A picture kept back because a newer one was on its way. */
  private held: { picture: VideoFrame; times: FrameTimes } | null = null;
  /** Pictures drawn since the last animation frame, painted by the next. */
  private drawn: FrameTimes[] = [];
  private frameRequested = false;
  /** The current decoder has put out a picture: it is past starting up. */
  private started = false;
  private failedAt: number | null = null;
  private backoff = FIRST_BACKOFF_MS;
  private readonly context: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly stats: StatsMeter,
    /** Asks the client for a keyframe; the caller rate-limits it. */
    private readonly needKeyframe: () => void,
    private readonly painter: Painter = browserPainter,
  ) {
    const context = canvas.getContext("2d", { alpha: false });
    if (!context) throw new Error("this webview cannot draw on a canvas");
    this.context = context;
  }

  push(frame: WireFrame, times: FrameTimes = timesOf(frame, nowMs())): void {
    const at = Date.now();
    this.stats.received(at, frame.data.byteLength, frame.keyframe);
    if (!frame.replayed && frame.number !== null) this.stats.numbered(at, frame.number);
    if (this.waitingForKeyframe && !frame.keyframe) {
      this.stats.dropped("waiting_keyframe");
      this.milestone("waitingKeyframe");
      this.needKeyframe();
      return;
    }
    const decoder = this.ensureDecoder();
    if (!decoder) {
      this.stats.dropped("decode_error");
      return;
    }
    if (!frame.replayed && this.behind()) {
      if (!frame.keyframe) {
        this.skipToKeyframe("behind");
        return;
      }
      // The newest keyframe replaces everything still queued.
      this.stats.dropped("behind", this.pending.size);
      decoder.reset();
      decoder.configure({ codec: "vp8", optimizeForLatency: true });
      this.pending.clear();
    }
    this.waitingForKeyframe = false;
    const timestamp = this.sequence++;
    times.decode = nowMs();
    this.pending.set(timestamp, { times, live: !frame.replayed });
    try {
      decoder.decode(
        new EncodedVideoChunk({
          type: frame.keyframe ? "key" : "delta",
          timestamp,
          data: frame.data,
        }),
      );
    } catch {
      this.fail();
    }
  }

  /** The app lost frames on the way here: wait for a keyframe. */
  gap(): void {
    this.stats.dropped("delivery_gap");
    this.skipToKeyframe(null);
  }

  close(): void {
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
    this.pending.clear();
    this.held?.picture.close();
    this.held = null;
  }

  /** Too many live frames wait in the decoder, or one waited too long. */
  private behind(): boolean {
    let live = 0;
    let oldest: number | null = null;
    for (const { times, live: isLive } of this.pending.values()) {
      if (!isLive) continue;
      live += 1;
      oldest ??= times.decode ?? null;
    }
    if (!this.started) return live > STARTING_QUEUE;
    return live > MAX_QUEUE || (oldest !== null && nowMs() - oldest > BEHIND_MS);
  }

  private ensureDecoder(): VideoDecoder | null {
    if (this.decoder && this.decoder.state !== "closed") return this.decoder;
    const now = Date.now();
    if (this.failedAt !== null && now - this.failedAt < this.backoff) return null;
    const decoder = new VideoDecoder({
      output: (picture) => this.output(picture),
      error: () => this.fail(),
    });
    decoder.configure({ codec: "vp8", optimizeForLatency: true });
    this.decoder = decoder;
    this.started = false;
    return decoder;
  }

  private output(picture: VideoFrame): void {
    const times = this.pending.get(picture.timestamp)?.times ?? {};
    this.pending.delete(picture.timestamp);
    times.output = nowMs();
    this.started = true;
    this.milestone("decoded");
    // A good picture: failures start their back-off afresh.
    this.failedAt = null;
    this.backoff = FIRST_BACKOFF_MS;
    const now = Date.now();
    this.stats.decoded(
      picture.displayWidth,
      picture.displayHeight,
      times.captured == null ? null : now - times.captured,
      times.sink == null ? null : now - times.sink,
    );
    if (this.held) {
      this.held.picture.close();
      this.stats.dropped("superseded");
    }
    this.held = { picture, times };
    if (this.pending.size === 0) this.drawHeld();
    // Else a newer picture is on its way; the animation frame draws this
    // one if it does not come first.
    this.schedule();
  }

  /** Draws the held picture now; the next animation frame marks it
   * painted. */
  private drawHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    const { picture, times } = held;
    const width = picture.displayWidth;
    const height = picture.displayHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(picture, 0, 0, width, height);
    picture.close();
    times.drawn = nowMs();
    this.drawn.push(times);
    this.canvas.dispatchEvent(new CustomEvent("painted"));
  }

  /** Tells the view a step of the first picture's way happened (a
   * `milestone` event; the view keeps the first time of each). */
  private milestone(name: string): void {
    this.canvas.dispatchEvent(new CustomEvent("milestone", { detail: name }));
  }

  private schedule(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    this.painter.requestFrame(() => this.onAnimationFrame());
  }

  /** The pictures drawn since the last animation frame are on screen; a
   * picture still held (its successor never came) is drawn now. */
  private onAnimationFrame(): void {
    this.frameRequested = false;
    const at = nowMs();
    for (const times of this.drawn) {
      times.painted = at;
      this.stats.painted(times);
    }
    this.drawn = [];
    if (this.held) {
      this.drawHeld();
      this.schedule();
    }
  }

  private fail(): void {
    this.stats.decodeError();
    const now = Date.now();
    if (this.failedAt !== null) this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    this.failedAt = now;
    this.close();
    this.skipToKeyframe(null);
  }

  /** Drops delta frames until the next keyframe, and asks for one. */
  private skipToKeyframe(reason: "behind" | null): void {
    if (reason) {
      this.stats.dropped(reason);
      this.milestone(reason);
    }
    this.waitingForKeyframe = true;
    this.needKeyframe();
  }
}
