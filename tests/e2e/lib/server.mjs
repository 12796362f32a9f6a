// Starts the real `nimbus serve` for a browser test: a free loopback port, a fresh temporary
// data directory, stopped with SIGTERM. The binary comes from $NIMBUS_BIN (ctest sets it),
// else ../../build/nimbus relative to tests/e2e.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The line `nimbus serve` prints on stdout once its socket is bound.
const kListening = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\s*$/m;

// The server binary these tests run.
export function serverBinary() {
  return path.resolve(e2eDir, process.env.NIMBUS_BIN ?? '../../build/nimbus');
}

// Starts `nimbus serve --listen 127.0.0.1:0 --data <temp>/data` with <temp> as its working
// directory (so no ./config is picked up) and resolves once it prints its URL:
// { url, port, dataDir, child, output(), stop() }. Rejects, with the server's output in the
// message, if it exits or stays silent for `timeoutMs`. `stop()` sends SIGTERM, waits for
// the exit (SIGKILL after `stopTimeoutMs`), removes the temp directory and resolves to
// { code, signal }.
export async function startServer({ args = [], env = {}, timeoutMs = 15000,
                                    stopTimeoutMs = 10000 } = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'nimbus-e2e-'));
  const dataDir = path.join(root, 'data');
  const bin = serverBinary();
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => {
      output += `spawn ${bin}: ${err.message}\n`;
      resolve({ code: null, signal: null, error: err });
    });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { output += chunk; });

  const ready = new Promise((resolve) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      stdout += chunk;
      const m = kListening.exec(stdout);
      if (m) resolve({ url: m[1], port: Number(m[2]) });
    });
  });

  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
  });
  const first = await Promise.race([ready, exited.then((e) => ({ exited: e })), timeout]);
  clearTimeout(timer);

  let stopped = null;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let killTimer;
      const result = await Promise.race([
        exited,
        new Promise((resolve) => {
          killTimer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(exited.then((e) => ({ ...e, killed: true })));
          }, stopTimeoutMs);
        }),
      ]);
      clearTimeout(killTimer);
      await rm(root, { recursive: true, force: true });
      return result;
    })();
    return stopped;
  };

  if (!first.url) {
    await stop();
    const why = first.timedOut ? `printed no "listening on" line within ${timeoutMs} ms`
                               : `exited early (${JSON.stringify(first.exited)})`;
    throw new Error(`nimbus serve (${bin}) ${why}. Output:\n${output}`);
  }
  return { ...first, dataDir, child, output: () => output, stop };
}
