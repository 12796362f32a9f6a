// Resumable uploads with a real tus client: tus-js-client (from npm, run by node) uploads a
// file in small chunks to the real `nimbus serve`; the server is killed (SIGKILL) mid-upload and
// started again on the same port and data directory; the client resumes on its own (HEAD, then
// PATCH from the durable offset) and the node ends up with the file's SHA-256. A second client
// resumes an upload another one started, from its URL alone (`uploadUrl`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Upload } from 'tus-js-client';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { serverBinary } from './lib/server.mjs';

const kListening = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\s*$/m;

// One `nimbus serve` process on `listen` with `dataDir`; resolves once it listens:
// { url, port, child, output(), kill(signal) → exit }.
async function serve(dataDir, listen, cwd) {
  const child = spawn(serverBinary(), ['serve', '--listen', listen, '--data', dataDir], {
    cwd, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.setEncoding('utf8').on('data', (c) => { output += c; });
  const ready = new Promise((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (c) => {
      output += c;
      const m = kListening.exec(output);
      if (m) resolve({ url: m[1], port: Number(m[2]) });
    });
  });
  let timer;
  const first = await Promise.race([
    ready, exited.then((e) => ({ exited: e })),
    new Promise((resolve) => { timer = setTimeout(() => resolve({ timedOut: true }), 15000); }),
  ]);
  clearTimeout(timer);
  const kill = async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  if (!first.url) {
    await kill('SIGKILL');
    throw new Error(`nimbus serve did not start (${JSON.stringify(first)}):\n${output}`);
  }
  return { ...first, child, output: () => output, kill };
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

describe('tus uploads with tus-js-client', () => {
  let root;
  let server;
  let auth;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'nimbus-tus-'));
    server = await serve(path.join(root, 'data'), '127.0.0.1:0', root);
    const user = { email: 'tus@example.com', password: 'correct horse battery', name: 'Tus' };
    await apiSignup(server.url, user);
    const login = await apiLogin(server.url, user.email, user.password);
    assert.equal(login.status, 200);
    auth = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await server?.kill();
    if (root) await rm(root, { recursive: true, force: true });
  });

  // Restarts the server on the same port and data directory after `signal`.
  async function restart(signal) {
    const old = server;
    await old.kill(signal);
    server = await serve(path.join(root, 'data'), `127.0.0.1:${old.port}`, root);
    assert.equal(server.port, old.port);
  }

  function options(extra) {
    return {
      endpoint: `${server.url}/api/v1/uploads`,
      chunkSize: 64 * 1024,
      retryDelays: [100, 300, 500, 1000, 1000, 2000, 2000, 3000, 3000, 5000],
      headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf },
      storeFingerprintForResuming: false,
      ...extra,
    };
  }

  // The node's checksum as GET /api/v1/nodes/{id} shows it, and its downloaded bytes' hash.
  async function nodeHashes(nodeId) {
    const node = await apiCall(server.url, 'GET', `/api/v1/nodes/${nodeId}`, auth);
    assert.equal(node.status, 200, JSON.stringify(node.body));
    const res = await fetch(`${server.url}/api/v1/nodes/${nodeId}/content`,
                            { headers: { Cookie: auth.cookie } });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { recorded: node.body.checksum_sha256, downloaded: sha256(bytes), name: node.body.name };
  }

  test('the server is killed mid-upload; the client resumes and the node has the SHA-256',
       { timeout: 120000 }, async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    let killed = null;
    let resumedAt = null;
    const requests = [];
    const done = new Promise((resolve, reject) => {
      const upload = new Upload(data, options({
        metadata: { filename: 'tus e2e #1.bin', parent_id: 'root', on_conflict: 'fail' },
        onBeforeRequest: (req) => { requests.push(req.getMethod()); },
        onChunkComplete: (_chunk, accepted) => {
          if (killed === null && accepted >= data.length / 3) {
            killed = accepted;
            // Killed while the client goes on with its next chunk: that PATCH fails, and the
            // client retries (HEAD, then PATCH from the durable offset) until the server is back.
            restart('SIGKILL').catch(reject);
          }
        },
        onAfterResponse: (req, res) => {
          if (killed !== null && resumedAt === null && req.getMethod() === 'HEAD') {
            resumedAt = Number(res.getHeader('Upload-Offset'));
          }
        },
        onSuccess: ({ lastResponse }) => resolve(lastResponse),
        onError: reject,
      }));
      upload.start();
    });
    const last = await done;
    assert.ok(killed !== null, 'the server was killed during the upload');
    assert.ok(resumedAt !== null && resumedAt >= killed && resumedAt < data.length,
              `resumed from the durable offset ${resumedAt} (killed after ${killed} bytes)`);
    assert.ok(requests.filter((m) => m === 'PATCH').length > data.length / (64 * 1024),
              'uploaded in chunks');
    const nodeId = last.getHeader('Nimbus-Node-Id');
    assert.ok(nodeId, 'the final response names the node');
    const hashes = await nodeHashes(nodeId);
    assert.equal(hashes.name, 'tus e2e #1.bin');
    assert.equal(hashes.recorded, sha256(data));
    assert.equal(hashes.downloaded, sha256(data));
  });

  test('another client resumes an upload from its URL after a restart', { timeout: 60000 },
       async () => {
    const data = randomBytes(1024 * 1024 + 7);
    // The first client stops after a few chunks (as a closed browser tab would).
    const url = await new Promise((resolve, reject) => {
      let upload;
      upload = new Upload(data, options({
        metadata: { filename: 'resumed.bin' },
        onChunkComplete: (_chunk, accepted) => {
          if (accepted >= 4 * 64 * 1024) upload.abort().then(() => resolve(upload.url), reject);
        },
        onSuccess: () => reject(new Error('the first client should not finish')),
        onError: reject,
      }));
      upload.start();
    });
    await restart('SIGTERM');
    const last = await new Promise((resolve, reject) => {
      new Upload(data, options({
        uploadUrl: url,
        onSuccess: ({ lastResponse }) => resolve(lastResponse),
        onError: reject,
      })).start();
    });
    const hashes = await nodeHashes(last.getHeader('Nimbus-Node-Id'));
    assert.equal(hashes.recorded, sha256(data));
    assert.equal(hashes.downloaded, sha256(data));
  });
});
