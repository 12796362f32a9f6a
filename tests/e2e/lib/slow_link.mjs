// A slow, flaky link between the browser and the server, for tests where the server's view
// matters: a TCP proxy on 127.0.0.1 that really limits the browser→server direction (Chromium's
// own upload throttling only holds back the answer: the server has the whole body at once) and
// can drop the link (every connection reset, new ones refused) and bring it back. It can also
// hold back the answers to some requests (holdAnswers), as a server busy saving a file does.
import net from 'node:net';

// Starts a proxy to `target` ("http://127.0.0.1:port"), sending at most `upBytesPerSec` towards
// it. Resolves to { url, setRate(bytesPerSec, Infinity, or 0: stalled), holdAnswers(methods, ms), down(),
// up(), close() }. holdAnswers(['PATCH'], 3000): the answer to each PATCH reaches the browser
// 3 s after the server sent it (its body has gone out at once); holdAnswers([], 0) ends that.
export async function startSlowLink(target, { upBytesPerSec = Infinity } = {}) {
  const { hostname, port } = new URL(target);
  let rate = upBytesPerSec;
  let isDown = false;
  let held = { methods: [], ms: 0 };
  const sockets = new Set();
  const track = (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  // Writes `data` to `dst` at the current rate, in slices every 50 ms; calls done() after.
  const paced = (data, dst, done) => {
    let off = 0;
    const step = () => {
      if (dst.destroyed) return;
      if (rate === 0) {  // Stalled: the connection stays up, nothing goes through.
        setTimeout(step, 50);
        return;
      }
      const n = rate === Infinity ? data.length - off
                                  : Math.max(1, Math.min(data.length - off, Math.floor(rate / 20)));
      dst.write(data.subarray(off, off + n));
      off += n;
      if (off < data.length) setTimeout(step, 50);
      else done();
    };
    step();
  };
  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    track(client);
    track(upstream);
    let holdNext = 0;  // Ms to hold the next answer back (its request matched held.methods).
    let answers = Promise.resolve();  // Answer bytes, in order, each after its hold.
    client.on('data', (data) => {
      const method = /^([A-Z]+) /.exec(data.toString('latin1', 0, 10))?.[1];
      if (method && held.methods.includes(method)) holdNext = held.ms;
      client.pause();
      paced(data, upstream, () => client.resume());
    });
    upstream.on('data', (data) => {
      const wait = holdNext;
      holdNext = 0;
      upstream.pause();
      answers = answers.then(() => new Promise((resolve) => { setTimeout(resolve, wait); }))
          .then(() => {
            if (!client.destroyed) client.write(data);
            upstream.resume();
          });
    });
    upstream.on('end', () => answers.then(() => client.end()));
    client.on('end', () => upstream.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    setRate(bytesPerSec) {
      rate = bytesPerSec;
    },
    holdAnswers(methods, ms) {
      held = { methods, ms };
    },
    down() {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    close() {
      isDown = true;
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => { server.close(() => resolve()); });
    },
  };
}
