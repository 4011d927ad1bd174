// The benchmark driver that bench/run.sh runs once everything is built: it starts the upstream,
// nginx, HAProxy and Switchyard on loopback, runs every figure with interleaved repetitions
// (each repetition measures every column in a rotating order, so machine noise hits them alike),
// prints one Markdown table per figure (medians of the repetitions; ratios to the reference taken
// within each repetition, then their median) and writes them to bench/results/.
//
//   node bench/bench.mjs --build DIR [--figures 1,2,3,4,5,6,7] [--reps 5] [--duration 5]
//                        [--conns 1,16,64,256] [--streams 1,100,1000] [--out DIR]
//                        [--soak-requests 10000] [--soak-idle 60]
//                        [--slow-headers 1000] [--slow-bodies 100] [--slow-interval-ms 2000]
//                        [--llama-server PATH] [--bench-model PATH] [--router-log-level warn]
//                        [--worker PATH] [--tiny-model PATH]   (instead of those in --build)
//
// No timing is asserted anywhere: the numbers are reported, never checked.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { figure7 } from './slowloris.mjs';
import { figure6 } from './soak.mjs';

const run_file = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

// ---------------------------------------------------------------------------------------------
// Options

function parse_args(argv) {
  const options = {
    build: path.join(repo, 'build/bench'),
    figures: [1, 2, 3, 4, 5, 6, 7],
    reps: 5,
    duration: 5,
    conns: [1, 16, 64, 256],
    streams: [1, 100, 1000],
    out: path.join(here, 'results'),
    llama_server: null,
    bench_model: null,
    router_log_level: 'warn',
    tokens: 128,
    soak_requests: 10_000,
    soak_idle: 60,
    slow_headers: 1000,
    slow_bodies: 100,
    slow_interval_ms: 2000,
  };
  const list = (v) => v.split(',').filter(Boolean).map(Number);
  for (let i = 2; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    switch (flag) {
      case '--build': options.build = path.resolve(value); break;
      case '--figures': options.figures = list(value); break;
      case '--reps': options.reps = Number(value); break;
      case '--duration': options.duration = Number(value); break;
      case '--conns': options.conns = list(value); break;
      case '--streams': options.streams = list(value); break;
      case '--out': options.out = path.resolve(value); break;
      case '--llama-server': options.llama_server = path.resolve(value); break;
      case '--bench-model': options.bench_model = path.resolve(value); break;
      case '--router-log-level': options.router_log_level = value; break;
      case '--tokens': options.tokens = Number(value); break;
      case '--soak-requests': options.soak_requests = Number(value); break;
      case '--soak-idle': options.soak_idle = Number(value); break;
      case '--slow-headers': options.slow_headers = Number(value); break;
      case '--slow-bodies': options.slow_bodies = Number(value); break;
      case '--slow-interval-ms': options.slow_interval_ms = Number(value); break;
      case '--worker': options.worker_override = path.resolve(value); break;
      case '--tiny-model': options.tiny_override = path.resolve(value); break;
      default: throw new Error(`bench.mjs: unknown flag ${flag}`);
    }
  }
  const bin = path.join(options.build, 'bin');
  options.router = path.join(bin, 'switchyard');
  options.worker = options.worker_override ?? path.join(bin, 'switchyard-worker');
  options.tiny_model = options.tiny_override ?? path.join(options.build, 'models/tiny-llama.gguf');
  options.upstream = path.join(options.build, 'bench-tools/bench_upstream');
  options.sse_client = path.join(options.build, 'bench-tools/bench_sse_client');
  return options;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function free_port() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function wait_for(what, ms, probe) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function port_open(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function children_of(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)
        .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

// VmRSS and RssAnon in KiB, summed over pids.
function memory(pids) {
  let rss = 0;
  let anon = 0;
  for (const pid of pids) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    anon += Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return { rss, anon };
}

// RssAnon + VmSwap in KiB: the anonymous memory a leak grows, whether resident or swapped out.
function anonymous_kib(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) +
         Number(/VmSwap:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const kTicks = 100;  // USER_HZ; Linux reports /proc/PID/stat times in these on every platform
// utime + stime in seconds, summed over pids.
function cpu_seconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);  // utime, stime (fields 14, 15)
  }
  return ticks / kTicks;
}

const processes = new Set();

function start(name, command, args, { dir, env } = {}) {
  const log_path = path.join(dir, `${name}.log`);
  const log = fs.openSync(log_path, 'w');
  const child = spawn(command, args, { stdio: ['ignore', log, log], env: env ?? process.env });
  fs.closeSync(log);
  const handle = {
    name,
    child,
    pid: child.pid,
    log_path,
    exited: new Promise((resolve) => child.once('exit', resolve)),
    log: () => fs.readFileSync(log_path, 'utf8'),
    async stop() {
      processes.delete(handle);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await handle.exited;
        clearTimeout(timer);
      }
    },
  };
  processes.add(handle);
  child.once('error', (e) => console.error(`bench: ${name}: ${e.message}`));
  return handle;
}

async function stop_all() {
  await Promise.all([...processes].map((p) => p.stop()));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await stop_all();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// The four columns of figures 1 and 2

async function start_upstream(options, dir, sse = { events: 50, interval_ms: 20 }) {
  const port = await free_port();
  const upstream = start('upstream', options.upstream,
                         ['--port', String(port), '--sse-events', String(sse.events),
                          '--sse-interval-ms', String(sse.interval_ms)],
                         { dir });
  await wait_for('upstream', 10_000, () => port_open(port));
  return { name: 'direct', port, pids: () => [upstream.pid], handle: upstream };
}

async function start_nginx(dir, upstream_port) {
  const port = await free_port();
  const prefix = path.join(dir, 'nginx');
  fs.mkdirSync(path.join(prefix, 'tmp'), { recursive: true });
  const conf = path.join(prefix, 'nginx.conf');
  const user = process.getuid() === 0 ? 'user root;' : '';
  fs.writeFileSync(conf, `# written by bench/bench.mjs
${user}
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  upstream up {
    server 127.0.0.1:${upstream_port};
    keepalive 1024;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`);
  const nginx = start('nginx', 'nginx', ['-p', prefix, '-c', conf], { dir });
  await wait_for('nginx', 10_000, () => port_open(port));
  // The master and its one worker.
  return { name: 'nginx', port, pids: () => [nginx.pid, ...children_of(nginx.pid)], handle: nginx };
}

async function start_haproxy(dir, upstream_port) {
  const port = await free_port();
  const conf = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(conf, `# written by bench/bench.mjs
global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  http-reuse always
  option http-no-delay  # forward each SSE event at once instead of merging sends
frontend bench
  bind 127.0.0.1:${port}
  default_backend upstream
backend upstream
  server up 127.0.0.1:${upstream_port}
`);
  const haproxy = start('haproxy', 'haproxy', ['-f', conf, '-db'], { dir });
  await wait_for('haproxy', 10_000, () => port_open(port));
  return { name: 'haproxy', port, pids: () => [haproxy.pid], handle: haproxy };
}

// A router on 127.0.0.1:0; `models` is the YAML text of its models: map.
async function start_router(options, dir, name, models_yaml, extra = '') {
  const runtime_dir = path.join(dir, `${name}-run`);
  const conf = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(conf, `# written by bench/bench.mjs
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
runtime_dir: ${runtime_dir}
worker_binary: ${options.worker}
${extra}
models:
${models_yaml}`);
  // A router of an earlier figure left its router.json (with its ports) here.
  fs.rmSync(path.join(runtime_dir, 'router.json'), { force: true });
  const router = start(name, options.router,
                       ['--config', conf, '--log-level', options.router_log_level], { dir });
  const info = await wait_for(`${name} router.json`, 30_000, () => {
    if (router.child.exitCode !== null) throw new Error(`exited: ${router.log()}`);
    const file = path.join(runtime_dir, 'router.json');
    return fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8'));
  });
  const admin = `http://127.0.0.1:${info.admin_port}`;
  await wait_for(`${name} ready`, 120_000, async () => (await fetch(`${admin}/ready`)).ok);
  return { name: 'switchyard', port: info.listen_port, admin, pids: () => [router.pid],
           handle: router };
}

async function start_proxies(options, dir) {
  const direct = await start_upstream(options, dir);
  const nginx = await start_nginx(dir, direct.port);
  const haproxy = await start_haproxy(dir, direct.port);
  const switchyard = await start_router(options, dir, 'switchyard',
                                        `  bench: {type: text, url: "http://127.0.0.1:${direct.port}"}\n`);
  return [direct, nginx, haproxy, switchyard];
}

// Each repetition measures every column, starting from a different one.
function rotated(list, rep) {
  return list.map((_, i) => list[(i + rep) % list.length]);
}

// ---------------------------------------------------------------------------------------------
// Markdown

const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a'),
  us: (v) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')} µs` : 'n/a'),
  ms: (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a'),
  ratio: (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a'),
  mib: (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : 'n/a'),
  signed_us: (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${Math.round(v).toLocaleString('en-US')} µs` : 'n/a'),
};

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

const report = [];
function emit(text) {
  console.log(text);
  report.push(text);
}

// ---------------------------------------------------------------------------------------------
// Figure 1: proxy overhead, non-streaming

async function wrk(target, connections, seconds, lua) {
  const url = `http://127.0.0.1:${target.port}/v1/chat/completions`;
  const { stdout } = await run_file('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`,
                                            '--timeout', '10s', '-s', lua, url],
                                    { maxBuffer: 1 << 20 });
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  return JSON.parse(line.slice('WRK_JSON '.length));
}

async function figure1(options, targets) {
  const lua = path.join(here, 'wrk_post.lua');
  const results = {};  // results[conns][target] = [{rps, p50, p99, cpu_per_100k, errors}]
  for (const target of targets) await wrk(target, 16, 1, lua);  // warm pools and caches
  for (let rep = 0; rep < options.reps; ++rep) {
    for (const conns of options.conns) {
      for (const target of rotated(targets, rep)) {
        const pids = target.pids();
        const cpu_before = cpu_seconds(pids);
        const r = await wrk(target, conns, options.duration, lua);
        const cpu = cpu_seconds(pids) - cpu_before;
        const rps = r.requests / (r.duration_us / 1e6);
        ((results[conns] ??= {})[target.name] ??= []).push({
          rps,
          p50: r.p50_us,
          p99: r.p99_us,
          cpu_per_100k: (cpu / r.requests) * 1e5,
          errors: r.socket_errors + r.non_200,
        });
        process.stderr.write(`fig1 rep ${rep + 1}/${options.reps} c=${conns} ${target.name}: ` +
                             `${Math.round(rps)} req/s p50 ${r.p50_us} µs p99 ${r.p99_us} µs` +
                             `${r.socket_errors + r.non_200 ? ` errors ${r.socket_errors + r.non_200}` : ''}\n`);
      }
    }
  }
  const names = targets.map((t) => t.name);
  const proxies = names.filter((n) => n !== 'direct');
  // Per-repetition ratios (same repetition, adjacent in time), then their median.
  const per_rep = (conns, name, f) =>
      median(results[conns][name].map((r, i) => f(r, results[conns].direct[i])));
  emit(`\n## 1. Proxy overhead, non-streaming (${options.duration} s wrk runs, 1 thread, POST, ` +
       `400-byte JSON reply; median of ${options.reps})\n`);
  emit('Requests/s, and in brackets the ratio to direct measured in the same repetition:\n');
  emit(table(['connections', ...names], options.conns.map((c) => [
    String(c),
    ...names.map((n) => {
      const rps = median(results[c][n].map((r) => r.rps));
      return n === 'direct' ? fmt.int(rps) : `${fmt.int(rps)} (${fmt.ratio(per_rep(c, n, (r, d) => r.rps / d.rps))})`;
    }),
  ])));
  emit('\nLatency p50 / p99, and the p50 added over direct:\n');
  emit(table(['connections', ...names.map((n) => `${n} p50 / p99`), ...proxies.map((n) => `${n} added p50`)],
             options.conns.map((c) => [
               String(c),
               ...names.map((n) => `${fmt.us(median(results[c][n].map((r) => r.p50)))} / ` +
                                   `${fmt.us(median(results[c][n].map((r) => r.p99)))}`),
               ...proxies.map((n) => fmt.signed_us(per_rep(c, n, (r, d) => r.p50 - d.p50))),
             ])));
  const errors = names.map((n) => [n, options.conns.reduce(
      (sum, c) => sum + results[c][n].reduce((s, r) => s + r.errors, 0), 0)]);
  emit(`\nErrors (socket errors + non-200) over all runs: ${errors.map(([n, e]) => `${n} ${e}`).join(', ')}.`);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Figure 2: SSE

async function sse_run(options, target, streams) {
  const args = ['--port', String(target.port), '--streams', String(streams), '--timeout-s', '120'];
  if (target.name !== 'direct') args.push('--pids', target.pids().join(','));
  try {
    const { stdout } = await run_file(options.sse_client, args, { maxBuffer: 1 << 20 });
    return JSON.parse(stdout);
  } catch (e) {
    if (e.stdout) return JSON.parse(e.stdout);  // it exits 1 when a stream failed: still a result
    throw new Error(`bench_sse_client against ${target.name} (S=${streams}) died: ` +
                    `${e.signal ?? `exit ${e.code}`} ${e.stderr ?? ''}`);
  }
}

async function figure2(options, targets) {
  const results = {};
  for (let rep = 0; rep < options.reps; ++rep) {
    for (const streams of options.streams) {
      for (const target of rotated(targets, rep)) {
        const r = await sse_run(options, target, streams);
        ((results[streams] ??= {})[target.name] ??= []).push(r);
        process.stderr.write(`fig2 rep ${rep + 1}/${options.reps} S=${streams} ${target.name}: ` +
                             `delay p50 ${r.delay_p50_us} p99 ${r.delay_p99_us} µs, ttfb p50 ` +
                             `${r.ttfb_p50_us} µs, completed ${r.completed}/${streams}` +
                             `${r.failed ? ` failed ${r.failed} (${r.first_error})` : ''}` +
                             `, rss ${r.rss_before_kib}->${r.rss_peak_kib} KiB\n`);
        await sleep(200);  // let closed connections settle
      }
    }
  }
  const names = targets.map((t) => t.name);
  const proxies = names.filter((n) => n !== 'direct');
  const m = (s, n, f) => median(results[s][n].map(f));
  const added = (s, n, f) => median(results[s][n].map((r, i) => f(r) - f(results[s].direct[i])));
  emit(`\n## 2. SSE: S concurrent streams of 50 events 20 ms apart (median of ${options.reps})\n`);
  emit('Per-event delay from the upstream\'s write to the client\'s read, p50 / p99:\n');
  emit(table(['streams', ...names, ...proxies.map((n) => `${n} added p99`)],
             options.streams.map((s) => [
               String(s),
               ...names.map((n) => `${fmt.us(m(s, n, (r) => r.delay_p50_us))} / ${fmt.us(m(s, n, (r) => r.delay_p99_us))}`),
               ...proxies.map((n) => fmt.signed_us(added(s, n, (r) => r.delay_p99_us))),
             ])));
  emit('\nTime to first byte p50 / p99 (request written to first response byte):\n');
  emit(table(['streams', ...names], options.streams.map((s) => [
    String(s),
    ...names.map((n) => `${fmt.us(m(s, n, (r) => r.ttfb_p50_us))} / ${fmt.us(m(s, n, (r) => r.ttfb_p99_us))}`),
  ])));
  // Memory is not given back after a run, so later repetitions start higher: the first
  // repetition (fresh processes, S = 1, 100, 1000 in turn) shows the growth, the maximum the peak.
  emit('\nProxy resident memory (VmRSS of all its processes): in the first repetition (fresh ' +
       'processes) before the run → peak with every stream open, and the growth per open stream ' +
       '(RssAnon growth in brackets); then the highest peak over all repetitions:\n');
  emit(table(['streams', ...proxies], options.streams.map((s) => [
    String(s),
    ...proxies.map((n) => {
      const first = results[s][n][0];
      const per = ((first.rss_peak_kib - first.rss_before_kib) * 1024) / s;
      const per_anon = ((first.anon_peak_kib - first.anon_before_kib) * 1024) / s;
      const max_peak = Math.max(...results[s][n].map((r) => r.rss_peak_kib));
      return `${fmt.mib(first.rss_before_kib)} → ${fmt.mib(first.rss_peak_kib)}; ` +
             `${fmt.int(per)} B/stream (${fmt.int(per_anon)}); max ${fmt.mib(max_peak)}`;
    }),
  ])));
  const failures = names.map((n) => [n, options.streams.reduce(
      (sum, s) => sum + results[s][n].reduce((t, r) => t + r.failed + (r.streams - r.completed - r.failed), 0), 0)]);
  emit(`\nStreams that failed or did not complete: ${failures.map(([n, f]) => `${n} ${f}`).join(', ')}.`);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Figure 3: idle memory with 3 models; CPU per 100k requests (from figure 1)

async function figure3(options, dir, targets, fig1) {
  emit('\n## 3. Idle resident memory; CPU per 100k small requests\n');
  const models = ['a', 'b', 'c'].map((n) => `  tiny-${n}: {type: text, engine: llama, ` +
                                              `model: "${options.tiny_model}", args: {parallel: 1}}\n`).join('');
  const router = await start_router(options, dir, 'idle', models);
  await sleep(3000);  // past start-up; health checks have run
  const idle = [];
  for (let i = 0; i < Math.max(3, options.reps); ++i) {
    idle.push(memory([router.handle.pid]));
    await sleep(500);
  }
  await router.handle.stop();
  const rows = [['switchyard router, 3 tiny-llama engine models (workers not counted)',
                 fmt.mib(median(idle.map((m) => m.rss))), fmt.mib(median(idle.map((m) => m.anon)))]];
  for (const target of targets) {
    if (!target.idle) continue;
    const label = { direct: 'bench_upstream (the direct column\'s server)', nginx: 'nginx at start, 1 upstream (master + worker)', haproxy: 'haproxy at start, 1 upstream', switchyard: 'switchyard router at start, 1 url model' }[target.name];
    rows.push([label,
               fmt.mib(target.idle.rss), fmt.mib(target.idle.anon)]);
    if (target.after_load) {
      rows.push([`${target.name}, idle again 1 s after figure 1's last run`,
                 fmt.mib(target.after_load.rss), fmt.mib(target.after_load.anon)]);
    }
  }
  emit(table(['process', 'VmRSS', 'RssAnon'], rows));
  if (fig1) {
    const conns = options.conns.includes(64) ? 64 : options.conns.at(-1);
    emit(`\nCPU seconds (user + system) per 100k requests at ${conns} connections, from figure 1 ` +
         '(direct: the upstream\'s own; the others: the proxy\'s own):\n');
    emit(table(targets.map((t) => t.name),
               [targets.map((t) => median(fig1[conns][t.name].map((r) => r.cpu_per_100k)).toFixed(2))]));
  }
}

// ---------------------------------------------------------------------------------------------
// Figure 4: worker lifecycle

async function model_status(admin, name) {
  return (await fetch(`${admin}/admin/models/${name}`)).json();
}

async function chat_once(port, model) {
  const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function figure4(options, dir) {
  const model = 'tiny-llama';
  const spawn_ready = [];
  const spawn_served = [];
  const crash_ready = [];
  const crash_served = [];
  const swap_ready = [];
  const swap_served = [];
  for (let rep = 0; rep < options.reps; ++rep) {
    // A fresh router each time, so that restart backoff starts from backoff_initial.
    const router = await start_router(options, dir, `lifecycle-${rep}`,
        `  ${model}: {type: text, engine: llama, model: "${options.tiny_model}", args: {parallel: 1}}\n`);
    const admin = router.admin;
    // Spawn to ready: an operator start of a stopped model.
    await fetch(`${admin}/admin/models/${model}/stop`, { method: 'POST' });
    await wait_for('stopped', 30_000, async () => (await model_status(admin, model)).state === 'stopped');
    let t0 = performance.now();
    await fetch(`${admin}/admin/models/${model}/start`, { method: 'POST' });
    const served = chat_once(router.port, model).then((s) => [s, performance.now() - t0]);
    await wait_for('ready', 60_000, async () => (await model_status(admin, model)).state === 'ready');
    spawn_ready.push(performance.now() - t0);
    const [status, served_ms] = await served;
    if (status === 200) spawn_served.push(served_ms);
    // Crash to serving again: SIGKILL the worker, then ask until a request succeeds.
    const { pid } = await model_status(admin, model);
    t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    await wait_for('not ready', 10_000, async () => (await model_status(admin, model)).state !== 'ready');
    const crash_served_p = (async () => {
      for (;;) {
        if (await chat_once(router.port, model) === 200) return performance.now() - t0;
        await sleep(5);
      }
    })();
    await wait_for('ready again', 60_000, async () => {
      const s = await model_status(admin, model);
      return s.state === 'ready' && s.pid !== pid;
    });
    crash_ready.push(performance.now() - t0);
    crash_served.push(await crash_served_p);
    await router.handle.stop();

    // Swap: two members of a one-place group; a request for the one not loaded unloads the
    // other (reaped first) and loads it.
    const member = (name) => `  ${name}: {type: text, engine: llama, model: "${options.tiny_model}", ` +
                             'args: {parallel: 1}, group: gpu}\n';
    const group = await start_router(options, dir, `swap-${rep}`, member('tiny-a') + member('tiny-b'),
                                     'groups: {gpu: {max_loaded: 1}}');
    if (await chat_once(group.port, 'tiny-a') !== 200) throw new Error('swap: tiny-a did not answer');
    t0 = performance.now();
    const swapped = chat_once(group.port, 'tiny-b').then((s) => [s, performance.now() - t0]);
    await wait_for('tiny-b ready', 60_000,
                   async () => (await model_status(group.admin, 'tiny-b')).state === 'ready');
    swap_ready.push(performance.now() - t0);
    const [swap_status, swap_ms] = await swapped;
    if (swap_status === 200) swap_served.push(swap_ms);
    if ((await model_status(group.admin, 'tiny-a')).pid !== null) throw new Error('swap: tiny-a kept its worker');
    await group.handle.stop();
    process.stderr.write(`fig4 rep ${rep + 1}/${options.reps}: spawn->ready ${spawn_ready.at(-1).toFixed(1)} ms, ` +
                         `crash->serving ${crash_served.at(-1).toFixed(1)} ms, ` +
                         `swap->serving ${swap_served.at(-1)?.toFixed(1)} ms\n`);
  }
  emit(`\n## 4. Worker lifecycle, tiny-llama (median of ${options.reps}; each on a fresh router)\n`);
  emit(table(['event', 'state ready (admin API, polled every 20 ms)', 'first request served (200)'], [
    ['spawn (operator start of a stopped model)', fmt.ms(median(spawn_ready)), fmt.ms(median(spawn_served))],
    ['SIGKILL of the worker, default restart policy (backoff_initial 1s, with jitter)',
     fmt.ms(median(crash_ready)), fmt.ms(median(crash_served))],
    ['swap: request for the other member of a one-place group (the loaded one unloaded and reaped first)',
     fmt.ms(median(swap_ready)), fmt.ms(median(swap_served))],
  ]));
  emit('\nnginx and HAProxy do not manage processes: no columns for them here.');
}

// ---------------------------------------------------------------------------------------------
// Figure 5: text engine against llama-server

// One streamed completion: time to first token and tokens/s after it. Counts SSE chunks that
// carry text.
async function generate(port, path_, body) {
  const t0 = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}${path_}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let first = null;
  let tokens = 0;
  let usage_tokens = 0;
  for await (const piece of response.body) {
    buffer += decoder.decode(piece, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const chunk = JSON.parse(event.slice(6));
      if (chunk.usage?.completion_tokens) usage_tokens = chunk.usage.completion_tokens;
      const choice = chunk.choices?.[0];
      if (!choice || (choice.text ?? choice.delta?.content ?? '') === '') continue;
      first ??= performance.now();
      ++tokens;
    }
  }
  const end = performance.now();
  // Prefer the server's own count: a chunk may carry more than one token (held-back UTF-8).
  if (usage_tokens) tokens = usage_tokens;
  return { ttft_ms: first - t0, tokens, total_ms: end - t0,
           tps: tokens > 1 ? (tokens - 1) / ((end - first) / 1000) : NaN };
}

async function figure5(options, dir) {
  if (!options.llama_server || !fs.existsSync(options.llama_server)) {
    emit('\n## 5. Text engine against llama-server\n\nSkipped: no llama-server binary ' +
         '(bench/run.sh builds it unless --no-llama-server).');
    return;
  }
  if (!options.bench_model || !fs.existsSync(options.bench_model)) {
    emit('\n## 5. Text engine against llama-server\n\nSkipped: no benchmark model.');
    return;
  }
  const threads = os.cpus().length;
  const ctx = 1024;
  // Same settings on both: context per sequence, 4 sequences, all cores.
  const worker_port = await free_port();
  const worker = start('worker', options.worker,
                       ['--engine', 'llama', '--model', options.bench_model, '--host', '127.0.0.1',
                        '--port', String(worker_port), '--arg', `ctx_size=${ctx}`, '--arg', 'parallel=4',
                        '--arg', `threads=${threads}`, '--arg', 'batch_size=512'], { dir });
  const server_port = await free_port();
  const server = start('llama-server', options.llama_server,
                       ['-m', options.bench_model, '--host', '127.0.0.1', '--port', String(server_port),
                        '-c', String(ctx * 4), '--parallel', '4', '--threads', String(threads),
                        '--threads-batch', String(threads), '-b', '512', '--no-webui',
                        '--no-kv-unified'],
                       { dir });
  const columns = [
    { name: 'switchyard-worker', port: worker_port, handle: worker },
    { name: 'llama-server', port: server_port, handle: server },
  ];
  for (const c of columns) {
    await wait_for(`${c.name} health`, 120_000, async () => {
      if (c.handle.child.exitCode !== null) throw new Error(`${c.name} exited: ${c.handle.log().slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${c.port}/health`)).ok;
    });
  }
  const prompt = 'The history of the city begins with a small settlement on the river, where';
  // A different opening per request, so that llama-server's prompt cache cannot skip the prompt.
  const body = (seed) => ({ model: 'bench', prompt: `${seed}. ${prompt}`, max_tokens: options.tokens, temperature: 0.8,
                            seed, stream: true, stream_options: { include_usage: true },
                            ignore_eos: true });
  for (const c of columns) await generate(c.port, '/v1/completions', body(1));  // warm-up
  const single = {};
  const aggregate = {};
  const sequential = {};
  for (let rep = 0; rep < options.reps; ++rep) {
    for (const c of rotated(columns, rep)) {
      const one = await generate(c.port, '/v1/completions', body(rep + 10));
      (single[c.name] ??= []).push(one);
      const t0 = performance.now();
      const four = await Promise.all([0, 1, 2, 3].map((i) => generate(c.port, '/v1/completions', body(rep * 4 + i + 100))));
      const seconds = (performance.now() - t0) / 1000;
      (aggregate[c.name] ??= []).push(four.reduce((s, r) => s + r.tokens, 0) / seconds);
      // The same four one after another: what continuous batching has to beat.
      const s0 = performance.now();
      let sequential_tokens = 0;
      for (let i = 0; i < 4; ++i) {
        sequential_tokens += (await generate(c.port, '/v1/completions', body(rep * 4 + i + 200))).tokens;
      }
      (sequential[c.name] ??= []).push(sequential_tokens / ((performance.now() - s0) / 1000));
      process.stderr.write(`fig5 rep ${rep + 1}/${options.reps} ${c.name}: single ${one.tps.toFixed(1)} tok/s ` +
                           `ttft ${one.ttft_ms.toFixed(1)} ms (${one.tokens} tokens), 4 streams ` +
                           `${aggregate[c.name].at(-1).toFixed(1)} tok/s, 4 sequential ` +
                           `${sequential[c.name].at(-1).toFixed(1)} tok/s\n`);
    }
  }
  for (const c of columns) await c.handle.stop();
  const ratio = (f) => median(single['switchyard-worker'].map((r, i) => f(r) / f(single['llama-server'][i])));
  const agg_ratio = median(aggregate['switchyard-worker'].map((v, i) => v / aggregate['llama-server'][i]));
  emit(`\n## 5. Text engine against llama-server (${path.basename(options.bench_model)}, ` +
       `${options.tokens} tokens per completion, ${threads} threads, ctx ${ctx} per sequence, ` +
       `parallel 4; median of ${options.reps})\n`);
  emit(table(['', 'switchyard-worker', 'llama-server', 'ratio'], [
    ['single stream tokens/s', fmt.ratio(median(single['switchyard-worker'].map((r) => r.tps))),
     fmt.ratio(median(single['llama-server'].map((r) => r.tps))), fmt.ratio(ratio((r) => r.tps))],
    ['time to first token', fmt.ms(median(single['switchyard-worker'].map((r) => r.ttft_ms))),
     fmt.ms(median(single['llama-server'].map((r) => r.ttft_ms))), fmt.ratio(ratio((r) => r.ttft_ms))],
    ['aggregate tokens/s, 4 concurrent streams', fmt.ratio(median(aggregate['switchyard-worker'])),
     fmt.ratio(median(aggregate['llama-server'])), fmt.ratio(agg_ratio)],
    ['aggregate tokens/s, the same 4 one after another', fmt.ratio(median(sequential['switchyard-worker'])),
     fmt.ratio(median(sequential['llama-server'])),
     fmt.ratio(median(sequential['switchyard-worker'].map((v, i) => v / sequential['llama-server'][i])))],
  ]));
  const gain = (name) => median(aggregate[name].map((v, i) => v / sequential[name][i]));
  emit(`\nConcurrent over sequential (4 streams): switchyard-worker ${fmt.ratio(gain('switchyard-worker'))}, ` +
       `llama-server ${fmt.ratio(gain('llama-server'))}.`);
}

// ---------------------------------------------------------------------------------------------

async function machine() {
  const cpus = os.cpus();
  let versions = {};
  const version_of = async (cmd, args, re) => {
    try {
      const { stdout, stderr } = await run_file(cmd, args);
      return (re.exec(stdout + stderr)?.[1] ?? '?').trim();
    } catch (e) {
      // wrk -v exits 1 after printing its version.
      return re.exec(`${e.stdout ?? ''}${e.stderr ?? ''}`)?.[1] ?? 'missing';
    }
  };
  versions = {
    nginx: await version_of('nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: await version_of('haproxy', ['-v'], /version (\S+)/),
    wrk: await version_of('wrk', ['-v'], /wrk (\S+)/),
  };
  return { cores: cpus.length, model: cpus[0]?.model ?? '?', kernel: os.release(), versions };
}

async function main() {
  const options = parse_args(process.argv);
  for (const file of [options.router, options.upstream, options.sse_client]) {
    if (!fs.existsSync(file)) throw new Error(`missing ${file}: run bench/run.sh`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const m = await machine();
  const now = new Date();
  const stamp = now.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  emit(`# Switchyard benchmark, ${stamp}\n`);
  emit(`Machine: ${m.cores} cores (${m.model}), Linux ${m.kernel}, ${Math.round(os.totalmem() / 2 ** 30)} GiB. ` +
       `Load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}. ` +
       `nginx ${m.versions.nginx}, HAProxy ${m.versions.haproxy}, wrk ${m.versions.wrk}. ` +
       `Everything on loopback, on the same cores as the load generator.\n`);
  const shown = [];
  for (let i = 2; i < process.argv.length; i += 2) {
    const flag = process.argv[i];
    if (!['--build', '--out', '--llama-server', '--bench-model', '--worker', '--tiny-model'].includes(flag)) {
      shown.push(flag, process.argv[i + 1]);
    }
  }
  emit(`Router: ${options.router}; worker: ${options.worker}.\n`);
  // run.sh passes the build directory itself; bench.mjs run by hand was given one.
  const command = process.env.SWITCHYARD_BENCH_VIA_RUN_SH === '1'
    ? 'bench/run.sh' : `node bench/bench.mjs --build ${options.build}`;
  emit(`Command: \`${command}${shown.length ? ` ${shown.join(' ')}` : ''}\` ` +
       `(router log level ${options.router_log_level}; nginx access_log off; HAProxy without logging).`);
  let targets = [];
  let fig1 = null;
  try {
    if (options.figures.some((f) => f <= 3)) {
      targets = await start_proxies(options, dir);
      await sleep(500);
      for (const t of targets) t.idle = memory(t.pids());
    }
    if (options.figures.includes(1)) {
      fig1 = await figure1(options, targets);
      await sleep(1000);
      for (const t of targets) t.after_load = memory(t.pids());
    }
    if (options.figures.includes(2)) {
      if (fig1) {
        // Fresh processes, so that figure 2's memory starts from idle, not from figure 1's peak.
        for (const t of targets) await t.handle.stop();
        const idle = Object.fromEntries(targets.map((t) => [t.name, t.idle]));
        const after = Object.fromEntries(targets.map((t) => [t.name, t.after_load]));
        targets = await start_proxies(options, dir);
        for (const t of targets) Object.assign(t, { idle: idle[t.name], after_load: after[t.name] });
      }
      await figure2(options, targets);
    }
    if (options.figures.includes(3)) await figure3(options, dir, targets, fig1);
    for (const t of targets) await t.handle.stop();
    if (options.figures.includes(4)) await figure4(options, dir);
    if (options.figures.includes(5)) await figure5(options, dir);
    if (options.figures.includes(6)) {
      await figure6(options, dir, { start_upstream, start_router, anonymous_kib, emit, table, fmt,
                                    sleep });
    }
    if (options.figures.includes(7)) {
      await figure7(options, dir, { start_upstream, start_router, memory, emit, table, fmt, sleep });
    }
  } finally {
    await stop_all();
  }
  fs.mkdirSync(options.out, { recursive: true });
  const file = path.join(options.out,
                         `${now.toISOString().slice(0, 10)}-${m.cores}cores-${now.toISOString().slice(11, 16).replace(':', '')}.md`);
  fs.writeFileSync(file, report.join('\n') + '\n');
  console.error(`bench: results written to ${path.relative(process.cwd(), file)}; logs in ${dir}`);
}

main().catch(async (e) => {
  console.error(`bench: ${e.stack ?? e}`);
  await stop_all();
  process.exit(1);
});
