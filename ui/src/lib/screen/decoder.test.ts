import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ScreenDecoder } from "./decoder";
import { StatsMeter } from "./stats";
import type { WireFrame } from "./wire";

// WebCodecs is not in Node: a decoder that outputs only when the test says,
// so the tests decide what is still in the decoder when a picture comes.
class FakeDecoder {
  static last: FakeDecoder;
  state = "configured";
  chunks: { timestamp: number; type: string }[] = [];
  resets = 0;
  constructor(private readonly init: { output: (picture: VideoFrame) => void }) {
    FakeDecoder.last = this;
  }
  configure() {}
  decode(chunk: { timestamp: number; type: string }) {
    this.chunks.push(chunk);
  }
  reset() {
    this.resets += 1;
    this.chunks = [];
  }
  close() {
    this.state = "closed";
  }
  /** The decoder puts out its oldest chunk as a picture. */
  outputNext(): { closed: boolean } {
    const chunk = this.chunks.shift();
    if (!chunk) throw new Error("nothing to output");
    const picture = {
      timestamp: chunk.timestamp,
      displayWidth: 64,
      displayHeight: 32,
      closed: false,
      close() {
        this.closed = true;
      },
    };
    this.init.output(picture as unknown as VideoFrame);
    return picture;
  }
}

function frame(keyframe: boolean, extra: Partial<WireFrame> = {}): WireFrame {
  return {
    keyframe,
    replayed: false,
    number: null,
    capturedAtMs: null,
    encodedAtMs: null,
    sentAtMs: null,
    firstPacketAtMs: null,
    lastPacketAtMs: null,
    receivedAtMs: Date.now(),
    data: new Uint8Array([1, 2, 3]),
    ...extra,
  };
}

function setup() {
  const drawImage = vi.fn();
  const canvas = {
    width: 0,
    height: 0,
    getContext: () => ({ drawImage }),
    dispatchEvent: () => true,
  } as unknown as HTMLCanvasElement;
  const frames: (() => void)[] = [];
  const painter = { requestFrame: (callback: () => void) => frames.push(callback) };
  const animationFrame = () => frames.splice(0).forEach((callback) => callback());
  const meter = new StatsMeter();
  const needKeyframe = vi.fn();
  const decoder = new ScreenDecoder(canvas, meter, needKeyframe, painter);
  return { decoder, drawImage, animationFrame, meter, needKeyframe };
}

beforeEach(() => {
  vi.stubGlobal("VideoDecoder", FakeDecoder);
  vi.stubGlobal(
    "EncodedVideoChunk",
    class {
      constructor(init: object) {
        Object.assign(this, init);
      }
    },
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the screen decoder", () => {
  it("draws the last picture of a burst once, and counts the others as superseded", () => {
    const { decoder, drawImage, animationFrame, meter } = setup();
    decoder.push(frame(true, { replayed: true }));
    for (let i = 0; i < 3; i++) decoder.push(frame(false, { replayed: true }));
    const pictures = [0, 1, 2, 3].map(() => FakeDecoder.last.outputNext());
    expect(drawImage).toHaveBeenCalledTimes(1);
    expect(drawImage.mock.calls[0][0]).toBe(pictures[3]);
    expect(pictures.every((p) => p.closed)).toBe(true);
    animationFrame();
    const stats = meter.snapshot(Date.now());
    expect([stats.decoded, stats.painted]).toEqual([4, 1]);
    expect(stats.dropped).toEqual({ superseded: 3 });
  });

  it("draws a held picture at the next animation frame when its successor is slow", () => {
    const { decoder, drawImage, animationFrame } = setup();
    decoder.push(frame(true));
    decoder.push(frame(false));
    FakeDecoder.last.outputNext();
    expect(drawImage).not.toHaveBeenCalled();
    animationFrame();
    expect(drawImage).toHaveBeenCalledTimes(1);
  });

  it("takes a replayed burst whole, but skips to a keyframe when live frames pile up", () => {
    const { decoder, meter, needKeyframe } = setup();
    decoder.push(frame(true, { replayed: true }));
    FakeDecoder.last.outputNext(); // the decoder has started
    for (let i = 0; i < 41; i++) decoder.push(frame(false, { replayed: true }));
    // Twelve live frames may wait; the thirteenth goes in too.
    for (let i = 0; i <= 12; i++) decoder.push(frame(false, { number: i }));
    expect(FakeDecoder.last.chunks).toHaveLength(54);
    expect(needKeyframe).not.toHaveBeenCalled();

    decoder.push(frame(false, { number: 13 }));
    expect(needKeyframe).toHaveBeenCalledTimes(1);
    decoder.push(frame(false, { number: 14 }));
    expect(FakeDecoder.last.chunks).toHaveLength(54);
    expect(meter.snapshot(Date.now()).dropped).toEqual({ behind: 1, waiting_keyframe: 1 });

    // The keyframe replaces everything still queued.
    decoder.push(frame(true, { number: 15 }));
    expect(FakeDecoder.last.resets).toBe(1);
    expect(FakeDecoder.last.chunks.map((c) => c.type)).toEqual(["key"]);
  });

  it("is behind when a live frame waited too long in the decoder", () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const { decoder, needKeyframe } = setup();
    decoder.push(frame(true));
    FakeDecoder.last.outputNext();
    decoder.push(frame(false));
    expect(needKeyframe).not.toHaveBeenCalled();
    vi.advanceTimersByTime(501);
    decoder.push(frame(false));
    expect(needKeyframe).toHaveBeenCalledTimes(1);
  });

  it("lets frames wait while a new decoder starts, however long its first picture takes", () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const { decoder, meter, needKeyframe, drawImage } = setup();
    decoder.push(frame(true));
    // A second of live frames while the first decode is still under way.
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(33);
      decoder.push(frame(false));
    }
    expect(needKeyframe).not.toHaveBeenCalled();
    expect(FakeDecoder.last.chunks).toHaveLength(31);
    // Then it is through: the burst is decoded and only the newest drawn.
    for (let i = 0; i < 31; i++) FakeDecoder.last.outputNext();
    expect(drawImage).toHaveBeenCalledTimes(1);
    expect(meter.snapshot(Date.now()).dropped).toEqual({ superseded: 30 });
    // Started, it is behind again as soon as a frame waits too long.
    decoder.push(frame(false));
    vi.advanceTimersByTime(501);
    decoder.push(frame(false));
    expect(needKeyframe).toHaveBeenCalledTimes(1);
  });

  it("counts the client's frame numbers from live frames only", () => {
    const { decoder, meter } = setup();
    decoder.push(frame(true, { number: 7 }));
    decoder.push(frame(false, { number: 9 }));
    decoder.push(frame(true, { number: 1, replayed: true }));
    const stats = meter.snapshot(Date.now());
    expect(stats.sent).toBe(3);
    expect(stats.dropped.lost).toBe(1);
  });
});
