import { describe, expect, it } from "vitest";
import { StatsMeter, percentile } from "./stats";

describe("the stats meter", () => {
  it("keeps each stage's percentiles from painted frames", () => {
    const meter = new StatsMeter();
    for (let i = 1; i <= 20; i++) {
      meter.painted({ captured: 0, sink: 10, js: 10 + i, decode: 11 + i, output: 20 + i, painted: 30 + i });
    }
    const stats = meter.snapshot(Date.now());
    expect(stats.stages.sink_js).toEqual({ p50: 10, p95: 19, samples: 20 });
    expect(stats.stages.capture_sink.p50).toBe(10);
    // Stages whose moments are unknown have no samples.
    expect(stats.stages.capture_encoded.samples).toBe(0);
    expect(stats.painted).toBe(20);
    expect(meter.stageSamplesOf("output_painted")).toHaveLength(20);
  });

  it("counts drops by reason and rates over a window", () => {
    const meter = new StatsMeter();
    meter.dropped("behind");
    meter.dropped("behind", 2);
    meter.decodeError();
    const now = Date.now();
    meter.received(now, 1000, true);
    meter.received(now, 1000, false);
    const stats = meter.snapshot(now);
    expect(stats.dropped).toEqual({ behind: 3, decode_error: 1 });
    expect(stats.fps).toBe(1);
    expect(stats.frames).toBe(2);
    expect(meter.snapshot(now + 5000).fps).toBe(0);
  });

  it("counts the frames the client sent from their numbers, and the ones that never came", () => {
    const meter = new StatsMeter();
    expect(meter.snapshot(0).fpsSent).toBeNull();
    const now = Date.now();
    meter.numbered(now, 0xfffffffe);
    meter.numbered(now, 0xffffffff);
    meter.numbered(now, 2); // wrapped; 0 and 1 never came
    meter.numbered(now, 2); // a repeat counts once
    let stats = meter.snapshot(now);
    expect(stats.sent).toBe(5);
    expect(stats.dropped).toEqual({ lost: 2 });
    expect(stats.fpsSent).toBe(2.5); // 5 frames over the two-second window
    // A new sender starts over from 0: counted, not lost.
    meter.numbered(now, 0);
    stats = meter.snapshot(now);
    expect(stats.sent).toBe(6);
    expect(stats.dropped).toEqual({ lost: 2 });
    expect(meter.snapshot(now + 5000).fpsSent).toBe(0);
  });

  it("picks percentiles by rank", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
  });
});
