// Figure 7 (RELIABILITY.md H7): slowloris and slow POST. Many sockets trickle a request's header
// a byte at a time, others send a whole header and then a body at 1 byte/s. The router must
// close each with 408 at its header timeout (10 s from the first byte) or when the body falls
// below its minimum rate (30 s plus 1 s per 500 bytes received), and keep answering everyone
// else meanwhile: `/healthz` and a proxied chat request are timed before and during the attack.
import http from 'node:http';
import net from 'node:net';

const kHeaderStart = 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
const kBodyLength = 100_000;

// One socket of the attack. `kind` is 'header' (the header never ends) or 'body' (a whole header,
// then a body that never ends). Resolves with how long after its first byte the router closed
// it and whether the router said 408 first.
function slow_socket(port, kind, interval_ms) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let began = 0;
    let answer = '';
    let timer = null;
    const trickle = () => {
      if (!socket.destroyed) socket.write('a');
    };
    socket.once('connect', () => {
      began = performance.now();
      socket.write(kind === 'header'
        ? kHeaderStart
        : `${kHeaderStart}1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${kBodyLength}\r\n\r\n{`);
      timer = setInterval(trickle, interval_ms);
    });
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.once('error', () => {});
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ kind, seconds: began ? (performance.now() - began) / 1000 : NaN,
                status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0) });
    });
  });
}

// Times one request on a kept-alive connection; resolves with milliseconds and the status.
function timed(agent, port, method, path_, body) {
  return new Promise((resolve) => {
    const began = performance.now();
    const request = http.request({
      host: '127.0.0.1', port, path: path_, method, agent,
      headers: body ? { 'content-type': 'application/json',
                        'content-length': Buffer.byteLength(body) } : {},
    }, (response) => {
      response.on('data', () => {});
      response.once('end', () => resolve({ ms: performance.now() - began,
                                           status: response.statusCode }));
    });
    request.once('error', () => resolve({ ms: performance.now() - began, status: 0 }));
    request.end(body);
  });
}

// Probes /healthz and a chat request one after the other every `every_ms` until `done()`.
async function probe(port, every_ms, done, h) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const chat = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hi' }] });
  const samples = { healthz: [], chat: [], failed: 0 };
  while (!done()) {
    for (const [name, method, path_, body] of [['healthz', 'GET', '/healthz', null],
                                               ['chat', 'POST', '/v1/chat/completions', chat]]) {
      const result = await timed(agent, port, method, path_, body);
      if (result.status === 200) samples[name].push(result.ms);
      else samples.failed += 1;
    }
    await h.sleep(every_ms);
  }
  agent.destroy();
  return samples;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

// `h` holds bench.mjs's helpers: start_upstream, start_router, memory, emit, table, fmt, sleep.
export async function figure7(options, dir, h) {
  const upstream = await h.start_upstream(options, dir);
  const router = await h.start_router(options, dir, 'slowloris',
                                      `  bench: {type: text, url: "http://127.0.0.1:${upstream.port}"}\n`);
  const pid = router.handle.pid;
  const interval_ms = options.slow_interval_ms;

  let baseline_over = false;
  const baseline = await Promise.all([
    probe(router.port, 20, () => baseline_over, h),
    h.sleep(3000).then(() => { baseline_over = true; }),
  ]).then(([samples]) => samples);
  const idle = h.memory([pid]);

  // The attack opens its sockets 100 at a time, as fast as the router accepts them.
  const sockets = [];
  let attack_over = false;
  let peak = idle;
  const sampler = setInterval(() => {
    const now = h.memory([pid]);
    if (now.rss > peak.rss) peak = now;
  }, 200);
  const attack = (async () => {
    for (let i = 0; i < options.slow_headers + options.slow_bodies; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(i + 100, options.slow_headers + options.slow_bodies); ++j) {
        batch.push(slow_socket(router.port, j < options.slow_headers ? 'header' : 'body',
                               interval_ms));
      }
      sockets.push(...batch);
      await h.sleep(10);
    }
    const outcomes = await Promise.all(sockets);
    attack_over = true;
    return outcomes;
  })();
  const [outcomes, during] = await Promise.all([attack, probe(router.port, 20, () => attack_over, h)]);
  clearInterval(sampler);
  await router.handle.stop();
  await upstream.handle.stop();

  h.emit(`\n## 7. Slowloris and slow POST: ${options.slow_headers} sockets trickling a header, ` +
         `${options.slow_bodies} trickling a body (${kBodyLength.toLocaleString('en-US')} bytes ` +
         `announced), one byte every ${interval_ms} ms each\n`);
  const rows = [];
  for (const kind of ['header', 'body']) {
    const of_kind = outcomes.filter((o) => o.kind === kind);
    if (of_kind.length === 0) continue;
    const seconds = of_kind.map((o) => o.seconds);
    rows.push([kind === 'header' ? 'header never ends' : 'body at 1 byte per interval',
               h.fmt.int(of_kind.length),
               h.fmt.int(of_kind.filter((o) => o.status === 408).length),
               `${percentile(seconds, 0).toFixed(2)} s`, `${percentile(seconds, 0.5).toFixed(2)} s`,
               `${Math.max(...seconds).toFixed(2)} s`]);
  }
  h.emit('Each slow socket, from its first byte to the router closing it (the header timeout is ' +
         '10 s; a body may take 30 s plus 1 s per 500 bytes):\n');
  h.emit(h.table(['socket', 'count', 'answered 408', 'closed after, min', 'p50', 'max'], rows));
  h.emit('\nRequests of an honest client on one kept-alive connection, one `/healthz` and one ' +
         'proxied chat request every 20 ms, before and during the attack:\n');
  const latency = (values) => [h.fmt.int(values.length), `${percentile(values, 0.5).toFixed(2)} ms`,
                               `${percentile(values, 0.99).toFixed(2)} ms`,
                               `${Math.max(...values).toFixed(2)} ms`];
  h.emit(h.table(['', 'answered', 'p50', 'p99', 'max'], [
    ['`/healthz` before', ...latency(baseline.healthz)],
    ['`/healthz` during', ...latency(during.healthz)],
    ['chat before', ...latency(baseline.chat)],
    ['chat during', ...latency(during.chat)],
  ]));
  h.emit(`\nProbe requests not answered 200: ${baseline.failed} before, ${during.failed} during. ` +
         `Router VmRSS ${h.fmt.mib(idle.rss)} before the attack, ${h.fmt.mib(peak.rss)} at its ` +
         'peak.');
}
