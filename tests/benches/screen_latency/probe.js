// The bench's eye in a page: each animation frame it copies one pixel of
// the remote screen (a <canvas> or a <video>) and notes the first frame
// whose pixel shows the colour the bench expects next. Installed by the
// bench through WebDriver, the same in the Lifeline expert app and in
// Chromium. Times are on the machine's clock:
// performance.timeOrigin + performance.now(), in ms.
//
// arguments[0]: CSS selector of the element that shows the remote screen;
// arguments[1]: the client's screen size [width, height];
// arguments[2]: the palette the bench paints with ([[r, g, b], ...]).
const [selector, [screenWidth, screenHeight], palette] = arguments;
if (!window.benchProbe) {
  const scratch = document.createElement("canvas");
  scratch.width = 1;
  scratch.height = 1;
  const context = scratch.getContext("2d", { willReadFrequently: true });
  const probe = {
    selector,
    target: null,
    spot: null,
    seenAt: null,
    frames: 0,
    waiting: [],
    lastTick: null,
    // Per change seen: the gap since the eye's previous look, and what the
    // Lifeline view says of the newest frame it painted (null elsewhere).
    details: [],
    expect(spot, colour) {
      this.spot = spot;
      this.target = colour;
      this.seenAt = null;
    },
    // Calls done(seenAt) when the colour shows, or done(null) after timeoutMs.
    wait(timeoutMs, done) {
      if (this.seenAt !== null) return done(this.seenAt);
      const waiter = { done };
      waiter.timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        done(null);
      }, timeoutMs);
      this.waiting.push(waiter);
    },
  };
  const nearest = (rgb) => {
    let best = 0;
    let bestDistance = Infinity;
    palette.forEach((colour, i) => {
      const d = colour.reduce((sum, c, k) => sum + Math.abs(c - rgb[k]), 0);
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return palette[best];
  };
  const tick = () => {
    const now = performance.timeOrigin + performance.now();
    probe.frames += 1;
    const source = document.querySelector(probe.selector);
    const width = source ? source.videoWidth || source.width : 0;
    const height = source ? source.videoHeight || source.height : 0;
    if (probe.target && probe.seenAt === null && width > 0 && height > 0) {
      const x = Math.floor((probe.spot[0] * width) / screenWidth);
      const y = Math.floor((probe.spot[1] * height) / screenHeight);
      try {
        context.drawImage(source, x, y, 1, 1, 0, 0, 1, 1);
        const rgb = context.getImageData(0, 0, 1, 1).data;
        const guess = nearest(rgb);
        const close = [0, 1, 2].every((k) => Math.abs(rgb[k] - probe.target[k]) < 100);
        if (close && guess.every((c, k) => c === probe.target[k])) {
          probe.seenAt = now;
          const view = window.lifelineScreen;
          probe.details.push({
            seenAt: now,
            gap: probe.lastTick === null ? null : now - probe.lastTick,
            frame: view && view.lastPainted ? view.lastPainted() : null,
          });
          for (const waiter of probe.waiting) {
            clearTimeout(waiter.timer);
            waiter.done(now);
          }
          probe.waiting = [];
        }
      } catch (error) {
        probe.error = String(error);
      }
    }
    probe.lastTick = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.benchProbe = probe;
}
window.benchProbe.selector = selector;
return true;
