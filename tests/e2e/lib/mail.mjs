// Reads the mail the server's "file" transport writes (<data>/mail/**/*.eml): waits, with a
// bounded poll, for a new message to an address, and decodes it (multipart, quoted-printable,
// base64) into its text and HTML bodies.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

// Every .eml file under `dir` (recursively) as { file, mtimeMs }; [] when `dir` is missing.
async function listEml(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  const out = [];
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await listEml(file));
    else if (entry.name.endsWith('.eml')) out.push({ file, mtimeMs: (await stat(file)).mtimeMs });
  }
  return out;
}

// Splits a message (or a MIME part) into lower-cased, unfolded headers and the body.
function splitHeaders(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 2);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeQuotedPrintable(body) {
  const bytes = [];
  const text = body.replace(/=\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(headers, body) {
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'base64') {
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

// Collects text/plain and text/html bodies of a part, descending into multipart/*.
function collectBodies(part, out) {
  const type = part.headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const pieces = part.body.split(`--${boundary}`);
    // pieces[0] is the preamble; the last starts with "--" (the closing delimiter).
    for (const piece of pieces.slice(1)) {
      if (piece.startsWith('--')) break;
      collectBodies(splitHeaders(piece.replace(/^\n/, '')), out);
    }
    return;
  }
  const decoded = decodeBody(part.headers, part.body);
  if (/^text\/html/i.test(type)) out.html += decoded;
  else if (/^text\//i.test(type)) out.text += decoded;
}

// Parses one RFC 5322 message: { headers, text, html, raw }.
export function parseMail(raw) {
  const top = splitHeaders(raw);
  const out = { headers: top.headers, text: '', html: '', raw };
  collectBodies(top, out);
  return out;
}

// The first link in `mail` (text body first, then HTML) whose path is `pathname`, as a URL.
export function findLink(mail, pathname) {
  const pattern = new RegExp(`https?://[^\\s"'<>]*${pathname}\\?token=[A-Za-z0-9_\\-%.~]+`);
  const match = pattern.exec(mail.text) ?? pattern.exec(mail.html.replace(/&amp;/g, '&'));
  return match ? new URL(match[0]) : null;
}

// Waits until a message to `to` that `seen` (a Set of file names, updated) has not returned
// yet, and whose decoded text or HTML matches `contains` (a RegExp), appears under
// `<dataDir>/mail`; resolves to the parsed message plus `file`. Polls every 100 ms and
// rejects after `timeoutMs` naming what it saw.
export async function waitForMail(dataDir, { to, contains = /./, seen = new Set(),
                                             timeoutMs = 20000 } = {}) {
  const dir = path.join(dataDir, 'mail');
  const deadline = Date.now() + timeoutMs;
  let files = [];
  while (Date.now() < deadline) {
    files = (await listEml(dir)).sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { file } of files) {
      if (seen.has(file)) continue;
      const mail = parseMail(await readFile(file, 'utf8'));
      const recipient = (mail.headers.to ?? '').toLowerCase();
      if (!recipient.includes(to.toLowerCase())) continue;
      if (!contains.test(mail.text) && !contains.test(mail.html)) continue;
      seen.add(file);
      return { ...mail, file };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no new mail to ${to} matching ${contains} in ${dir} within ${timeoutMs} ms ` +
                  `(files: ${files.map((f) => path.basename(f.file)).join(', ') || 'none'})`);
}
