// End-to-end: the official OpenAI Node SDK against a real switchyard (harness.mjs) serving the
// shipped config/models.yaml plus an embeddings copy of its text model, a one-slot copy for the
// abort test, and image_worker.mjs as an image model. Anything the SDK fails to parse is a bug in
// Switchyard. Run by run.sh; no timing is asserted beyond generous liveness bounds.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';

import { kApiKey, models, Router, wait_for } from './harness.mjs';
import { parse_wav, png_size, sine_wav, solid_png } from './media.mjs';

let router;
let client;

before(async () => {
  router = await Router.start();
  // No retries: a 5xx must fail the test, not be papered over.
  client = new OpenAI({ apiKey: kApiKey, baseURL: router.base_url, maxRetries: 0, timeout: 60_000 });
});

after(async () => {
  await router?.stop();
});

const chat_messages = [{ role: 'user', content: 'Say something.' }];

describe('models', () => {
  it('models.list lists every configured model and alias', async () => {
    const ids = [];
    for await (const model of client.models.list()) {
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      assert.equal(typeof model.owned_by, 'string');
      ids.push(model.id);
    }
    for (const name of [models.text, models.embeddings, models.single_slot, models.image]) {
      assert.ok(ids.includes(name), `${name} missing from ${ids.join(', ')}`);
    }
    if (models.text_alias) assert.ok(ids.includes(models.text_alias));
  });

  it('models.retrieve returns one model', async () => {
    const model = await client.models.retrieve(models.text);
    assert.equal(model.id, models.text);
  });
});

describe('text', () => {
  it('chat.completions.create, non-streaming', async () => {
    const completion = await client.chat.completions.create({
      model: models.text,
      messages: chat_messages,
      max_tokens: 8,
      temperature: 0,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.equal(choice.message.role, 'assistant');
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    assert.ok(completion.usage.prompt_tokens > 0);
    assert.ok(completion.usage.completion_tokens > 0 && completion.usage.completion_tokens <= 8);
    assert.equal(completion.usage.total_tokens,
                 completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });

  it('chat.completions.create through an alias', { skip: !models.text_alias && 'no alias' },
     async () => {
       const completion = await client.chat.completions.create({
         model: models.text_alias,
         messages: chat_messages,
         max_tokens: 2,
       });
       assert.equal(completion.choices.length, 1);
     });

  it('chat.completions.create, streaming with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: models.text,
      messages: chat_messages,
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let finish_reason = null;
    let usage = null;
    let id = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      id ??= chunk.id;
      assert.equal(chunk.id, id, 'every chunk of one stream has the same id');
      if (chunk.usage) {
        usage = chunk.usage;
        assert.deepEqual(chunk.choices, []);
        continue;
      }
      ++chunks;
      const [choice] = chunk.choices;
      text += choice.delta.content ?? '';
      if (choice.finish_reason) finish_reason = choice.finish_reason;
    }
    assert.ok(chunks >= 2, `only ${chunks} chunks`);
    assert.ok(['stop', 'length'].includes(finish_reason));
    assert.ok(usage, 'no usage chunk');
    assert.ok(usage.completion_tokens > 0 && usage.completion_tokens <= 12);
    assert.equal(typeof text, 'string');
  });

  it('chat.completions.stream helper assembles the message', async () => {
    const runner = client.chat.completions.stream({
      model: models.text,
      messages: chat_messages,
      max_tokens: 6,
    });
    const completion = await runner.finalChatCompletion();
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(typeof completion.choices[0].message.content, 'string');
  });

  it('completions.create', async () => {
    const completion = await client.completions.create({
      model: models.text,
      prompt: ['Once upon a time', 'The end'],
      max_tokens: 5,
      temperature: 0,
    });
    assert.equal(completion.object, 'text_completion');
    assert.equal(completion.choices.length, 2);
    assert.deepEqual(completion.choices.map((c) => c.index).sort(), [0, 1]);
    for (const choice of completion.choices) assert.equal(typeof choice.text, 'string');
    assert.ok(completion.usage.completion_tokens > 0);
  });

  it('completions.create, streaming', async () => {
    const stream = await client.completions.create({
      model: models.text,
      prompt: 'Once upon a time',
      max_tokens: 5,
      stream: true,
    });
    let chunks = 0;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      ++chunks;
    }
    assert.ok(chunks >= 1);
  });

  it('embeddings.create, float and base64', async () => {
    const result = await client.embeddings.create({
      model: models.embeddings,
      input: ['hello world', 'goodbye'],
      encoding_format: 'float',
    });
    assert.equal(result.object, 'list');
    assert.equal(result.data.length, 2);
    const [first, second] = result.data;
    assert.equal(first.object, 'embedding');
    assert.ok(first.embedding.length > 0);
    assert.equal(first.embedding.length, second.embedding.length);
    const norm = Math.hypot(...first.embedding);
    assert.ok(Math.abs(norm - 1) < 1e-3, `not L2-normalised: ${norm}`);
    assert.ok(result.usage.prompt_tokens > 0);

    // The SDK asks for base64 by default and decodes it into numbers itself.
    const decoded = await client.embeddings.create({ model: models.embeddings, input: 'hello world' });
    assert.equal(decoded.data[0].embedding.length, first.embedding.length);
    decoded.data[0].embedding.forEach((v, i) => assert.ok(Math.abs(v - first.embedding[i]) < 1e-5));
  });
});

describe('abort', () => {
  it('aborting a stream with AbortController frees the worker slot', async () => {
    const model = models.single_slot;  // parallel: 1
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model, messages: chat_messages, max_tokens: 15000, stream: true },
      { signal: controller.signal });
    let received = 0;
    let finish_reason = null;
    try {
      for await (const chunk of stream) {
        finish_reason ??= chunk.choices[0]?.finish_reason ?? null;
        if (++received === 3) controller.abort();
      }
      // The SDK ends the iteration quietly after an abort...
    } catch (e) {
      // ...or, in other versions, throws its abort error.
      assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', e);
    }
    assert.equal(finish_reason, null, 'the stream ended by itself before the abort');
    // Chunks that arrived in the same read as the third may still be handed out after the abort.
    assert.ok(received >= 3, `only ${received} chunks before the stream ended`);
    // The router sees the client leave and closes the worker connection...
    await wait_for('no request in flight', 10_000, async () =>
      (await router.admin_json(`/admin/models/${model}`)).requests_in_flight === 0);
    // ...and the worker frees its only slot: with it still busy this would wait for the rest of
    // 15000 tokens.
    const completion = await client.chat.completions.create(
      { model, messages: chat_messages, max_tokens: 3 }, { timeout: 30_000 });
    assert.equal(completion.choices.length, 1);
    assert.ok(completion.usage.completion_tokens <= 3);
  });
});

describe('errors', () => {
  it('400 for an endpoint that does not fit the model type (BadRequestError)', async () => {
    await assert.rejects(
      client.images.generate({ model: models.text, prompt: 'a cat' }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 400);
        assert.match(e.message, new RegExp(models.text));
        return true;
      });
    await assert.rejects(
      client.chat.completions.create({ model: models.image, messages: chat_messages }),
      OpenAI.BadRequestError);
  });

  it('400 for a field of the wrong type (BadRequestError with param)', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: models.text, messages: chat_messages,
                                       max_tokens: 'many' }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.param, 'max_tokens');
        return true;
      });
  });

  it('401 for a bad key (AuthenticationError)', async () => {
    const stranger = new OpenAI({ apiKey: 'not-the-key', baseURL: router.base_url, maxRetries: 0 });
    await assert.rejects(stranger.models.list(), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 401);
      assert.equal(e.code, 'invalid_api_key');
      return true;
    });
    await assert.rejects(
      stranger.chat.completions.create({ model: models.text, messages: chat_messages }),
      OpenAI.AuthenticationError);
  });

  it('404 for an unknown model (NotFoundError)', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: chat_messages }),
      (e) => {
        assert.ok(e instanceof OpenAI.NotFoundError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 404);
        assert.equal(e.code, 'model_not_found');
        assert.match(e.message, new RegExp(models.text));
        return true;
      });
    await assert.rejects(client.models.retrieve('no-such-model'), OpenAI.NotFoundError);
  });

  it('429 over rate_limit (RateLimitError); the SDK waits for Retry-After and retries', async () => {
    await router.reconfigure({ rate_limit: { requests_per_minute: 60, burst: 1 } });
    try {
      // Every API request but the model list counts, a 404 included: cheap ones here.
      const unknown = { model: 'no-such-model', messages: chat_messages };
      await assert.rejects(client.chat.completions.create(unknown), OpenAI.NotFoundError);
      await assert.rejects(client.chat.completions.create(unknown), (e) => {
        assert.ok(e instanceof OpenAI.RateLimitError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 429);
        assert.equal(e.code, 'rate_limit_exceeded');
        assert.equal(e.headers.get('retry-after'), '1');
        return true;
      });
      // One a second: a client that retries gets through after the wait it was told.
      const patient = new OpenAI({ apiKey: kApiKey, baseURL: router.base_url, maxRetries: 2 });
      await assert.rejects(patient.chat.completions.create(unknown), OpenAI.NotFoundError);
    } finally {
      await router.reconfigure();
    }
  });

  it('a 400 before a stream starts is a plain error, not a broken stream', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: models.text, messages: chat_messages, n: 2,
                                       stream: true }),
      OpenAI.BadRequestError);
  });
});

describe('images', () => {
  it('images.generate returns a real PNG, from a model its request had to start', async () => {
    const before = await router.admin_json(`/admin/models/${models.image}`);
    assert.equal(before.state, 'stopped');
    assert.equal(before.starts_on_request, true);
    const result = await client.images.generate({
      model: models.image,
      prompt: 'a lighthouse',
      n: 2,
      size: '256x256',
      response_format: 'b64_json',
    });
    assert.equal(result.data.length, 2);
    for (const image of result.data) {
      const png = Buffer.from(image.b64_json, 'base64');
      assert.deepEqual(png_size(png), [64, 64]);  // the worker caps sides at 64
    }
  });

  it('images.edit uploads the image as multipart, intact', async () => {
    const upload = solid_png(24, 12, [200, 10, 10]);
    const result = await client.images.edit({
      model: models.image,
      image: await toFile(upload, 'input.png', { type: 'image/png' }),
      prompt: 'make it blue',
      response_format: 'b64_json',
    });
    assert.equal(result.data.length, 1);
    assert.deepEqual(png_size(Buffer.from(result.data[0].b64_json, 'base64')), [24, 12]);
    const { received } = result;
    assert.equal(received.prompt, 'make it blue');
    assert.equal(received.model, models.image);
    assert.equal(received.files.length, 1);
    assert.equal(received.files[0].filename, 'input.png');
    assert.equal(received.files[0].bytes, upload.length);
    assert.equal(received.files[0].sha256, createHash('sha256').update(upload).digest('hex'));
  });
});

describe('audio', () => {
  it('audio.transcriptions.create uploads a file and returns text',
     { skip: !models.speech_to_text &&
             'no speech-to-text model in config/models.yaml (audio engines not built yet)' },
     async () => {
       const result = await client.audio.transcriptions.create({
         model: models.speech_to_text,
         file: await toFile(sine_wav(1.5), 'tone.wav', { type: 'audio/wav' }),
       });
       assert.equal(typeof result.text, 'string');
     });

  it('audio.transcriptions.create with response_format text',
     { skip: !models.speech_to_text &&
             'no speech-to-text model in config/models.yaml (audio engines not built yet)' },
     async () => {
       const text = await client.audio.transcriptions.create({
         model: models.speech_to_text,
         file: await toFile(sine_wav(1), 'tone.wav', { type: 'audio/wav' }),
         response_format: 'text',
       });
       assert.equal(typeof text, 'string');
     });

  it('audio.speech.create returns a playable WAV',
     { skip: !models.text_to_speech &&
             'no text-to-speech model in config/models.yaml (audio engines not built yet)' },
     async () => {
       const response = await client.audio.speech.create({
         model: models.text_to_speech,
         input: 'Hello from Switchyard.',
         voice: 'alloy',
         response_format: 'wav',
       });
       assert.match(response.headers.get('content-type') ?? '', /audio\/(x-)?wav|audio\/wave/);
       const wav = parse_wav(Buffer.from(await response.arrayBuffer()));
       assert.equal(wav.format, 1, 'PCM');
       assert.ok(wav.channels >= 1 && wav.rate >= 8000 && [8, 16, 24, 32].includes(wav.bits));
       assert.ok(wav.frames > wav.rate / 10, `only ${wav.frames} frames`);
     });
});
