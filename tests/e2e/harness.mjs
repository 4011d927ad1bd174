// Starts a real switchyard for the end-to-end tests: the models of config/models.yaml, plus the
// test models below, on 127.0.0.1:0 with a runtime_dir in a temp dir; the ports come from
// <runtime_dir>/router.json.
//
// Where things are (run.sh sets these; the defaults fit `cmake --preset release`):
//   SWITCHYARD_BUILD    build directory                    (default <repo>/build/release)
//   SWITCHYARD_BIN      the router                         (default $SWITCHYARD_BUILD/bin/switchyard)
//   SWITCHYARD_WORKER   switchyard-worker                  (default beside the router)
//   SWITCHYARD_MODELS   what ${SWITCHYARD_MODELS} means in config/models.yaml
//                                                          (default $SWITCHYARD_BUILD/models)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const kApiKey = 'e2e-key';

const build = path.resolve(process.env.SWITCHYARD_BUILD ?? path.join(repo, 'build/release'));
const router_binary = path.resolve(process.env.SWITCHYARD_BIN ?? path.join(build, 'bin/switchyard'));
const worker_binary = path.resolve(
  process.env.SWITCHYARD_WORKER ?? path.join(path.dirname(router_binary), 'switchyard-worker'));
const models_dir = path.resolve(process.env.SWITCHYARD_MODELS ?? path.join(build, 'models'));

// Engines by what they do, to tell the audio models of the shipped config apart.
const kSpeechToText = new Set(['whisper', 'pocketsphinx', 'vosk']);
const kTextToSpeech = new Set(['flite', 'espeak-ng', 'espeak', 'piper', 'tts', 'kokoro']);

// The shipped config and what the tests can use from it. Relative model paths are made absolute
// against config/, since the test config lives elsewhere.
function shipped_models() {
  const file = path.join(repo, 'config/models.yaml');
  const config = parse(fs.readFileSync(file, 'utf8'));
  const models = config.models ?? {};
  for (const model of Object.values(models)) {
    if (typeof model.model === 'string' && !model.model.includes('${') &&
        !path.isAbsolute(model.model)) {
      model.model = path.resolve(path.dirname(file), model.model);
    }
  }
  return models;
}

function describe_models(models) {
  const entries = Object.entries(models);
  const find = (test) => entries.find(([, m]) => test(m))?.[0] ?? null;
  const text = find((m) => (m.type ?? 'text') === 'text' && m.engine === 'llama' &&
                           !m.args?.embeddings);
  return {
    text,
    text_alias: text ? (models[text].aliases ?? [])[0] ?? null : null,
    speech_to_text: find((m) => m.type === 'audio' && kSpeechToText.has(m.engine)),
    text_to_speech: find((m) => m.type === 'audio' && kTextToSpeech.has(m.engine)),
  };
}

const shipped = shipped_models();
// Names of the models the tests use; null where config/models.yaml has none.
export const models = {
  ...describe_models(shipped),
  embeddings: 'e2e-embeddings',
  single_slot: 'e2e-single-slot',
  image: 'e2e-image',
};

function test_config(runtime_dir) {
  const config = {
    listen: '127.0.0.1:0',
    admin_listen: '127.0.0.1:0',
    runtime_dir,
    worker_binary,
    api_keys: [kApiKey],
    models: structuredClone(shipped),
  };
  const text = shipped[models.text];
  if (!text) throw new Error('config/models.yaml has no llama text model for the tests');
  const copy_of_text = (args) => ({
    type: 'text',
    engine: 'llama',
    model: text.model,
    args: { ...(text.args ?? {}), ...args },
  });
  // Embeddings need their own worker; one slot and a long context for the abort test (a slot
  // that is not freed would keep the next request waiting for thousands of tokens).
  config.models[models.embeddings] = copy_of_text({ embeddings: true });
  config.models[models.single_slot] =
      copy_of_text({ parallel: 1, ctx_size: 16384, threads: 1 });
  // Started by its first request, so that the SDK meets a cold model once.
  config.models[models.image] = {
    type: 'image',
    command: [process.execPath, path.join(here, 'image_worker.mjs'), '--host', '${HOST}',
              '--port', '${PORT}'],
    on_demand: true,
  };
  return config;
}

async function sleep(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function wait_for(what, deadline_ms, probe) {
  const deadline = Date.now() + deadline_ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export class Router {
  static async start() {
    for (const [what, file] of [['router', router_binary], ['worker', worker_binary]]) {
      if (!fs.existsSync(file)) {
        throw new Error(`no ${what} binary at ${file}: build first, or set SWITCHYARD_BUILD`);
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-'));
    const runtime_dir = path.join(dir, 'run');
    const config_file = path.join(dir, 'models.yaml');
    // JSON is YAML: no serializer needed.
    fs.writeFileSync(config_file, JSON.stringify(test_config(runtime_dir), null, 2));
    const log_file = path.join(dir, 'router.log');
    const log = fs.openSync(log_file, 'w');
    const child = spawn(router_binary, ['--config', config_file], {
      env: { ...process.env, SWITCHYARD_MODELS: models_dir },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const router = new Router(child, dir, log_file);
    router.config_file = config_file;
    router.runtime_dir = runtime_dir;
    try {
      const info = await wait_for('router.json', 30_000, () => {
        if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode}`);
        const file = path.join(runtime_dir, 'router.json');
        return fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8'));
      });
      router.api = `http://127.0.0.1:${info.listen_port}`;
      router.admin = `http://127.0.0.1:${info.admin_port}`;
      await wait_for('every model ready', 120_000, async () => {
        if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode}`);
        return (await fetch(`${router.admin}/ready`)).status === 200;
      });
    } catch (e) {
      await router.stop();
      throw new Error(`${e.message}\n--- router log (${log_file}):\n${router.log_tail()}`);
    }
    return router;
  }

  constructor(child, dir, log_file) {
    this.child = child;
    this.dir = dir;
    this.log_file = log_file;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  get base_url() {
    return `${this.api}/v1`;
  }

  log_tail(lines = 60) {
    try {
      return fs.readFileSync(this.log_file, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async admin_json(route) {
    const response = await fetch(`${this.admin}${route}`);
    if (!response.ok) throw new Error(`GET ${route}: ${response.status}`);
    return response.json();
  }

  // Rewrites the config with `top_level` keys added (none: back to the original) and reloads it
  // through the admin API; the models are unchanged, so no worker restarts.
  async reconfigure(top_level = {}) {
    const config = { ...test_config(this.runtime_dir), ...top_level };
    fs.writeFileSync(this.config_file, JSON.stringify(config, null, 2));
    const response = await fetch(`${this.admin}/admin/reload`, { method: 'POST' });
    if (!response.ok) throw new Error(`reload: ${response.status} ${await response.text()}`);
  }

  // SIGTERM, then SIGKILL if it has not exited in 15 s. The temp dir is kept when
  // SWITCHYARD_E2E_KEEP is set (its router.log helps after a failure).
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (!process.env.SWITCHYARD_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export { sleep, wait_for };
