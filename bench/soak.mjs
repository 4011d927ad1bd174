// Figure 6 (RELIABILITY.md P8): memory soak. Many mixed requests through the router, 30 % of
// them streams the client abandons mid-way, then idle: the router's RssAnon + VmSwap (anonymous
// memory, resident or swapped out: what a leak grows, and what RSS alone hides once it is swapped
// out) must come back to within 10 % of what it held after a warm-up.
import http from 'node:http';

// Request i of a run: 3 in 10 streams abandoned after their first bytes, 2 in 10 streams read to
// the end, the rest plain JSON answers.
function kind_of(i) {
  const k = i % 10;
  return k < 3 ? 'abandoned' : k < 5 ? 'stream' : 'plain';
}

function one_request(agent, port, kind) {
  const body = JSON.stringify({
    model: 'bench', stream: kind !== 'plain',
    messages: [{ role: 'user', content: 'soak' }],
  });
  return new Promise((resolve) => {
    const request = http.request({
      host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      if (kind === 'abandoned') {
        response.once('data', () => {
          request.destroy();
          resolve('abandoned');
        });
      } else {
        response.on('data', () => {});
      }
      response.once('end', () => resolve(response.statusCode === 200 ? 'ok' : 'failed'));
      response.once('error', () => resolve(kind === 'abandoned' ? 'abandoned' : 'failed'));
    });
    request.once('error', () => resolve(kind === 'abandoned' ? 'abandoned' : 'failed'));
    request.end(body);
  });
}

// `count` requests, `concurrency` at a time, on kept-alive connections.
async function mixed(port, count, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const outcomes = { ok: 0, abandoned: 0, failed: 0 };
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      outcomes[await one_request(agent, port, kind_of(i))] += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  return outcomes;
}

// `h` holds bench.mjs's helpers: start_upstream, start_router, anonymous_kib, emit, table, fmt,
// sleep.
export async function figure6(options, dir, h) {
  // Short streams (10 events 5 ms apart), so that the run is about requests, not waiting.
  const upstream = await h.start_upstream(options, dir, { events: 10, interval_ms: 5 });
  const router = await h.start_router(options, dir, 'soak',
                                      `  bench: {type: text, url: "http://127.0.0.1:${upstream.port}"}\n`);
  const pid = router.handle.pid;
  const concurrency = 32;
  const warmup = Math.max(100, Math.round(options.soak_requests / 10));
  const started = Date.now();
  await mixed(router.port, warmup, concurrency);
  await h.sleep(1000);
  const after_warmup = h.anonymous_kib(pid);

  let peak = after_warmup;
  const sampler = setInterval(() => { peak = Math.max(peak, h.anonymous_kib(pid)); }, 200);
  const outcomes = await mixed(router.port, options.soak_requests, concurrency);
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  await h.sleep(1000);
  const after_1s = h.anonymous_kib(pid);
  process.stderr.write(`fig6: ${options.soak_requests} requests in ${seconds.toFixed(0)} s ` +
                       `(${JSON.stringify(outcomes)}); idle for ${options.soak_idle} s\n`);
  await h.sleep(options.soak_idle * 1000);
  const after_idle = h.anonymous_kib(pid);
  await router.handle.stop();
  await upstream.handle.stop();

  const ratio = after_idle / after_warmup;
  h.emit(`\n## 6. Memory soak: ${options.soak_requests.toLocaleString('en-US')} mixed requests, ` +
         `${concurrency} at a time, 30 % of them streams abandoned after their first bytes\n`);
  h.emit('Router RssAnon + VmSwap (anonymous memory, resident or swapped out); the target is ' +
         'the value after idling within 10 % of the value after the warm-up ' +
         `(${warmup.toLocaleString('en-US')} requests of the same mix):\n`);
  h.emit(h.table(
      ['after warm-up', 'peak during the run', '1 s after', `after ${options.soak_idle} s idle`,
       'after idle / after warm-up'],
      [[...[after_warmup, peak, after_1s, after_idle].map((kib) => `${h.fmt.int(kib)} KiB`),
        ratio.toFixed(3)]]));
  h.emit(`\nOutcomes: ${outcomes.ok} answered in full, ${outcomes.abandoned} abandoned by the ` +
         `client, ${outcomes.failed} failed.`);
}
