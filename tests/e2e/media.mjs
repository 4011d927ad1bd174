// Small PNG and WAV helpers shared by the image worker and the tests (no dependencies).
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// An 8-bit RGB PNG filled with one colour.
export function solid_png(width, height, [r, g, b]) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);  // depth 8, colour type RGB, deflate, no filter, no interlace
  const row = Buffer.alloc(1 + 3 * width);
  for (let x = 0; x < width; ++x) row.set([r, g, b], 1 + 3 * x);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function png_size(buffer) {
  const signature = '89504e470d0a1a0a';
  if (buffer.length < 24 || buffer.subarray(0, 8).toString('hex') !== signature) return null;
  return [buffer.readUInt32BE(16), buffer.readUInt32BE(20)];
}


// A mono 16-bit PCM WAV: `seconds` of a sine tone at `hz`.
export function sine_wav(seconds = 1, hz = 440, rate = 16000) {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; ++i) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)), 2 * i);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);  // fmt chunk size
  header.writeUInt16LE(1, 20);  // PCM
  header.writeUInt16LE(1, 22);  // channels
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);  // byte rate
  header.writeUInt16LE(2, 32);  // block align
  header.writeUInt16LE(16, 34);  // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

// What a player needs from a WAV file: RIFF/WAVE, a fmt chunk a player can use, and audio data
// whose length fits the frame size. Returns {format, channels, rate, bits, frames} or throws.
export function parse_wav(buffer) {
  if (buffer.length < 12 || buffer.toString('ascii', 0, 4) !== 'RIFF' ||
      buffer.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`not a RIFF/WAVE file (starts with ${buffer.subarray(0, 12).toString('hex')})`);
  }
  let fmt = null;
  let offset = 12;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString('ascii', offset, offset + 4);
    let size = buffer.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = {
        format: buffer.readUInt16LE(body),
        channels: buffer.readUInt16LE(body + 2),
        rate: buffer.readUInt32LE(body + 4),
        bits: buffer.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before the fmt chunk');
      // Streaming writers put 0 or 0xffffffff here; the data then runs to the end of the file.
      if (size === 0 || size === 0xffffffff || body + size > buffer.length) {
        size = buffer.length - body;
      }
      const frame = fmt.channels * (fmt.bits / 8);
      return { ...fmt, frames: Math.floor(size / frame) };
    }
    offset = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}
