// The speed of an upload, steady enough to read on a slow or shaky link: the mean since the
// start for the first seconds, then an exponentially weighted average with a time constant of
// kTauMs (a burst or a stall of a few seconds moves it a little, not by a factor of five: QA saw
// 2.2 MB/s, 387 KB/s and 1.1 MB/s within 30 s). While no bytes go out (between chunks, a
// connection lost) the estimate fades towards zero at the same pace, unless the meter is
// `steady`: fed with the server's confirmations of whole chunks (tus), between which no news
// is expected. The row of a file and the header of the panel read the same meter when one file
// is being sent.

const kTauMs = 12000;
const kMinStepMs = 250;  // Progress events closer than this are taken together.
const kWarmupMs = 2000;  // No speed is said before this much time has passed.

// A meter that has seen nothing yet.
export function rateMeter() {
  return { t0: null, b0: 0, t: 0, b: 0, rate: 0, steady: false };
}

// Takes the report "`bytes` sent in all, at `now` (ms)". Bytes that go back (a chunk sent
// again after a reconnect) are not counted twice: the meter goes on from the lower figure.
export function addSample(meter, now, bytes) {
  if (meter.t0 === null) {
    Object.assign(meter, { t0: now, b0: bytes, t: now, b: bytes, rate: 0 });
    return;
  }
  if (bytes < meter.b) {
    meter.b0 -= meter.b - bytes;
    meter.b = bytes;
    return;
  }
  const dt = now - meter.t;
  if (dt < kMinStepMs) return;
  if (now - meter.t0 < kTauMs) {
    meter.rate = ((bytes - meter.b0) * 1000) / (now - meter.t0);
  } else {
    const instant = ((bytes - meter.b) * 1000) / dt;
    meter.rate += (1 - Math.exp(-dt / kTauMs)) * (instant - meter.rate);
  }
  meter.t = now;
  meter.b = bytes;
}

// Bytes per second at `now`, or 0 before there is enough to say.
export function rateOf(meter, now) {
  if (meter.t0 === null || now - meter.t0 < kWarmupMs || !(meter.rate > 0)) return 0;
  const idle = now - meter.t;
  return idle > 2 * kMinStepMs && !meter.steady ? meter.rate * Math.exp(-idle / kTauMs)
                                                : meter.rate;
}
