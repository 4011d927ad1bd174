// A tiny OpenAI-style image server for the end-to-end tests, run by the router as a `command:`
// model of type image (it reads --host/--port, falling back to the HOST and PORT the router puts
// in the environment). Real PNGs, no model:
//
//   GET  /health                  200 {"status":"ok"}
//   POST /v1/images/generations   JSON; n solid-colour PNGs of `size` (capped at 64x64)
//   POST /v1/images/edits         multipart; a PNG the size of the uploaded one when it is a PNG
//
// Replies are {created, data: [{b64_json, revised_prompt}]}; edits also say what arrived
// (`received`: fields, file names, byte counts and sha256) so that tests can check the upload
// went through the router intact.
import { createHash } from 'node:crypto';
import http from 'node:http';

import { png_size, solid_png } from './media.mjs';

const kMaxSide = 64;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function parse_size(text) {
  const match = /^(\d+)x(\d+)$/.exec(text ?? '');
  const side = (v) => Math.max(1, Math.min(kMaxSide, Number(v)));
  return match ? [side(match[1]), side(match[2])] : [16, 16];
}

function colour_of(prompt) {
  const digest = createHash('sha256').update(prompt ?? '').digest();
  return [digest[0], digest[1], digest[2]];
}

// multipart/form-data into {name: [{filename, type, data}]}; enough for what the SDK sends.
function parse_multipart(body, content_type) {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(content_type ?? '');
  if (!match) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`);
  const parts = {};
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    start += 2;  // CRLF after the delimiter
    const end = body.indexOf(delimiter, start);
    if (end < 0) throw new Error('unterminated multipart body');
    const part = body.subarray(start, end - 2);  // minus the CRLF before the next delimiter
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const data = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    if (name !== undefined) (parts[name] ??= []).push({ filename, type, data });
    start = end;
  }
  return parts;
}

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

function error(response, status, message, param = null) {
  send(response, status, { error: { message, type: 'invalid_request_error', param, code: null } });
}

function images(count, width, height, prompt) {
  return {
    created: Math.floor(Date.now() / 1000),
    data: Array.from({ length: count }, () => ({
      b64_json: solid_png(width, height, colour_of(prompt)).toString('base64'),
      revised_prompt: prompt,
    })),
  };
}

function generations(body, response) {
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return error(response, 400, 'body is not JSON');
  }
  if (typeof request.prompt !== 'string') return error(response, 400, 'prompt is required', 'prompt');
  if (request.response_format === 'url') {
    return error(response, 400, 'only b64_json is supported', 'response_format');
  }
  const count = Number.isInteger(request.n) ? Math.max(1, Math.min(4, request.n)) : 1;
  const [width, height] = parse_size(request.size);
  send(response, 200, images(count, width, height, request.prompt));
}

function edits(body, content_type, response) {
  let parts;
  try {
    parts = parse_multipart(body, content_type);
  } catch (e) {
    return error(response, 400, e.message);
  }
  const field = (name) => parts[name]?.[0]?.data.toString('utf8');
  const files = [...(parts.image ?? []), ...(parts['image[]'] ?? [])];
  if (files.length === 0) return error(response, 400, 'image is required', 'image');
  const prompt = field('prompt');
  if (prompt === undefined) return error(response, 400, 'prompt is required', 'prompt');
  const [width, height] = png_size(files[0].data) ?? parse_size(field('size'));
  const reply = images(1, Math.min(width, kMaxSide), Math.min(height, kMaxSide), prompt);
  reply.received = {
    fields: Object.keys(parts).sort(),
    model: field('model') ?? null,
    prompt,
    files: files.map((f) => ({
      filename: f.filename ?? null,
      type: f.type ?? null,
      bytes: f.data.length,
      sha256: createHash('sha256').update(f.data).digest('hex'),
    })),
  };
  send(response, 200, reply);
}

const server = http.createServer((request, response) => {
  const path = request.url.split('?')[0];
  if (request.method === 'GET' && path === '/health') return send(response, 200, { status: 'ok' });
  const pieces = [];
  request.on('data', (piece) => pieces.push(piece));
  request.on('end', () => {
    const body = Buffer.concat(pieces);
    if (request.method === 'POST' && path === '/v1/images/generations') {
      return generations(body, response);
    }
    if (request.method === 'POST' && path === '/v1/images/edits') {
      return edits(body, request.headers['content-type'], response);
    }
    error(response, 404, `image_worker: no route for ${request.method} ${path}`);
  });
});

const host = option('host', process.env.HOST ?? '127.0.0.1');
const port = Number(option('port', process.env.PORT ?? '0'));
server.listen(port, host, () => {
  console.log(`image_worker: listening on ${host}:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();  // the router's pooled keep-alive connections
  });
}
