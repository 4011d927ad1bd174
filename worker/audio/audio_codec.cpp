#include "worker/audio/audio_codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "common/openai_error.hpp"

namespace switchyard::worker::audio {
namespace {

// libsndfile's virtual I/O over bytes in memory: a read-only view, or a growing string.
sf_count_t read_len(void* user) {
  return static_cast<sf_count_t>(static_cast<ByteCursor*>(user)->bytes.size());
}
sf_count_t read_seek(sf_count_t offset, int whence, void* user) {
  auto* c = static_cast<ByteCursor*>(user);
  const sf_count_t size = static_cast<sf_count_t>(c->bytes.size());
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? c->pos + offset : size + offset;
  c->pos = std::clamp<sf_count_t>(to, 0, size);
  return c->pos;
}
sf_count_t read_read(void* ptr, sf_count_t count, void* user) {
  auto* c = static_cast<ByteCursor*>(user);
  const sf_count_t n =
      std::clamp<sf_count_t>(static_cast<sf_count_t>(c->bytes.size()) - c->pos, 0, count);
  std::memcpy(ptr, c->bytes.data() + c->pos, static_cast<std::size_t>(n));
  c->pos += n;
  return n;
}
sf_count_t read_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t read_tell(void* user) { return static_cast<ByteCursor*>(user)->pos; }

struct WriteCursor {
  std::string bytes;
  sf_count_t pos = 0;
};
sf_count_t write_len(void* user) {
  return static_cast<sf_count_t>(static_cast<WriteCursor*>(user)->bytes.size());
}
sf_count_t write_seek(sf_count_t offset, int whence, void* user) {
  auto* c = static_cast<WriteCursor*>(user);
  const sf_count_t size = static_cast<sf_count_t>(c->bytes.size());
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? c->pos + offset : size + offset;
  c->pos = std::max<sf_count_t>(to, 0);
  return c->pos;
}
sf_count_t write_read(void* ptr, sf_count_t count, void* user) {
  auto* c = static_cast<WriteCursor*>(user);
  const sf_count_t n =
      std::clamp<sf_count_t>(static_cast<sf_count_t>(c->bytes.size()) - c->pos, 0, count);
  std::memcpy(ptr, c->bytes.data() + c->pos, static_cast<std::size_t>(n));
  c->pos += n;
  return n;
}
sf_count_t write_write(const void* ptr, sf_count_t count, void* user) {
  auto* c = static_cast<WriteCursor*>(user);
  const auto end = static_cast<std::size_t>(c->pos + count);
  if (c->bytes.size() < end) c->bytes.resize(end);
  std::memcpy(c->bytes.data() + c->pos, ptr, static_cast<std::size_t>(count));
  c->pos += count;
  return count;
}
sf_count_t write_tell(void* user) { return static_cast<WriteCursor*>(user)->pos; }

SF_VIRTUAL_IO read_io{read_len, read_seek, read_read, read_write, read_tell};
SF_VIRTUAL_IO write_io{write_len, write_seek, write_read, write_write, write_tell};

int sndfile_format(AudioFormat format) {
  switch (format) {
    case AudioFormat::wav:
      return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    case AudioFormat::flac:
      return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    case AudioFormat::mp3:
      return SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
    case AudioFormat::opus:
      return SF_FORMAT_OGG | SF_FORMAT_OPUS;
    case AudioFormat::pcm:
      return SF_FORMAT_RAW | SF_FORMAT_PCM_16 | SF_ENDIAN_LITTLE;
  }
  return 0;
}

void put_le(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::vector<std::int16_t> resample_s16(std::span<const std::int16_t> in, int from, int to) {
  std::vector<float> floats(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) floats[i] = static_cast<float>(in[i]) / 32768.0f;
  Resampler resampler(from, to);
  std::vector<float> out;
  resampler.process(floats, true, out);
  std::vector<std::int16_t> result(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    result[i] = static_cast<std::int16_t>(std::lround(std::clamp(out[i], -1.0f, 1.0f) * 32767.0f));
  }
  return result;
}

}  // namespace

// --- Resampler ---------------------------------------------------------------------------------

Resampler::Resampler(int from_rate, int to_rate)
    : ratio_(static_cast<double>(to_rate) / static_cast<double>(from_rate)) {
  int error = 0;
  state_ = src_new(SRC_SINC_FASTEST, 1, &error);
  if (state_ == nullptr) {
    throw std::runtime_error(std::string("libsamplerate: ") + src_strerror(error));
  }
}

Resampler::~Resampler() { src_delete(state_); }

void Resampler::process(std::span<const float> in, bool last, std::vector<float>& out) {
  SRC_DATA data{};
  data.src_ratio = ratio_;
  data.end_of_input = last ? 1 : 0;
  std::size_t consumed = 0;
  for (;;) {
    const std::size_t room = static_cast<std::size_t>(
        static_cast<double>(in.size() - consumed) * ratio_ + 256);
    const std::size_t before = out.size();
    out.resize(before + room);
    data.data_in = in.data() + consumed;
    data.input_frames = static_cast<long>(in.size() - consumed);
    data.data_out = out.data() + before;
    data.output_frames = static_cast<long>(room);
    if (const int error = src_process(state_, &data); error != 0) {
      out.resize(before);
      throw std::runtime_error(std::string("libsamplerate: ") + src_strerror(error));
    }
    out.resize(before + static_cast<std::size_t>(data.output_frames_gen));
    consumed += static_cast<std::size_t>(data.input_frames_used);
    // Done when the input is used up and, at the end, the filter has nothing left to give.
    if (consumed >= in.size() && (!last || data.output_frames_gen == 0)) break;
  }
}

// --- AudioDecoder ------------------------------------------------------------------------------

AudioDecoder::AudioDecoder(std::string_view bytes) : cursor_{bytes, 0} {
  if (bytes.empty()) throw ApiError(ErrorKind::invalid_request, "the audio file is empty", "file");
  file_ = sf_open_virtual(&read_io, SFM_READ, &info_, &cursor_);
  if (file_ == nullptr) {
    throw ApiError(ErrorKind::invalid_request,
                   std::string("the file is not audio this server can decode (wav, flac, ogg, "
                               "mp3): ") +
                       sf_strerror(nullptr),
                   "file");
  }
  if (info_.channels <= 0 || info_.samplerate <= 0) {
    sf_close(file_);
    file_ = nullptr;
    throw ApiError(ErrorKind::invalid_request, "the audio file has no channels or sample rate",
                   "file");
  }
  if (info_.samplerate != kRecognizerRate) resampler_.emplace(info_.samplerate, kRecognizerRate);
}

AudioDecoder::~AudioDecoder() {
  if (file_ != nullptr) sf_close(file_);
}

bool AudioDecoder::read(std::vector<float>& out, std::size_t max_frames) {
  if (done_) return false;
  const auto channels = static_cast<std::size_t>(info_.channels);
  frames_.resize(max_frames * channels);
  const sf_count_t got =
      sf_readf_float(file_, frames_.data(), static_cast<sf_count_t>(max_frames));
  const std::size_t n = got > 0 ? static_cast<std::size_t>(got) : 0;
  mono_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    float sum = 0;
    for (std::size_t c = 0; c < channels; ++c) sum += frames_[i * channels + c];
    mono_[i] = sum / static_cast<float>(channels);
  }
  const bool last = n == 0;
  const std::size_t before = out.size();
  if (resampler_) {
    resampler_->process(mono_, last, out);
  } else {
    out.insert(out.end(), mono_.begin(), mono_.end());
  }
  samples_out_ += out.size() - before;
  if (last) done_ = true;
  return !done_ || out.size() > before;
}

std::vector<float> AudioDecoder::read_all() {
  std::vector<float> out;
  // A streamed file may not know its length (libsndfile then reports a huge frame count).
  constexpr double kMaxReserve = 64.0 * 1024 * 1024;
  const double expected = static_cast<double>(info_.frames) * kRecognizerRate / info_.samplerate;
  if (expected > 0 && expected < kMaxReserve) out.reserve(static_cast<std::size_t>(expected) + 1024);
  while (read(out)) {
  }
  return out;
}

// --- formats -----------------------------------------------------------------------------------

std::optional<AudioFormat> audio_format_from_string(std::string_view name) {
  if (name == "wav") return AudioFormat::wav;
  if (name == "pcm") return AudioFormat::pcm;
  if (name == "flac") return AudioFormat::flac;
  if (name == "mp3") return AudioFormat::mp3;
  if (name == "opus") return AudioFormat::opus;
  return std::nullopt;
}

std::string_view to_string(AudioFormat format) {
  switch (format) {
    case AudioFormat::wav:
      return "wav";
    case AudioFormat::pcm:
      return "pcm";
    case AudioFormat::flac:
      return "flac";
    case AudioFormat::mp3:
      return "mp3";
    case AudioFormat::opus:
      return "opus";
  }
  return "wav";
}

std::string_view content_type(AudioFormat format) {
  switch (format) {
    case AudioFormat::wav:
      return "audio/wav";
    case AudioFormat::pcm:
      return "audio/pcm";
    case AudioFormat::flac:
      return "audio/flac";
    case AudioFormat::mp3:
      return "audio/mpeg";
    case AudioFormat::opus:
      return "audio/ogg";  // Opus in an Ogg container, as OpenAI's opus
  }
  return "application/octet-stream";
}

int output_rate(AudioFormat format, int source_rate) {
  if (format == AudioFormat::pcm) return 24000;
  if (format == AudioFormat::opus) {
    for (int ok : {8000, 12000, 16000, 24000, 48000}) {
      if (source_rate == ok) return ok;
    }
    return 24000;
  }
  return source_rate;
}

std::string wav_header(int rate, std::uint32_t data_bytes) {
  std::string h = "RIFF";
  put_le(h, data_bytes == 0xFFFFFFFFu ? 0xFFFFFFFFu : 36 + data_bytes, 4);
  h += "WAVEfmt ";
  put_le(h, 16, 4);
  put_le(h, 1, 2);  // PCM
  put_le(h, 1, 2);  // mono
  put_le(h, static_cast<std::uint32_t>(rate), 4);
  put_le(h, static_cast<std::uint32_t>(rate) * 2, 4);
  put_le(h, 2, 2);
  put_le(h, 16, 2);
  h += "data";
  put_le(h, data_bytes, 4);
  return h;
}

std::string encode_audio(std::span<const std::int16_t> samples, int rate, AudioFormat format) {
  const int out_rate = output_rate(format, rate);
  std::vector<std::int16_t> converted;
  if (out_rate != rate) {
    converted = resample_s16(samples, rate, out_rate);
    samples = converted;
  }
  if (format == AudioFormat::pcm) {
    std::string out(samples.size() * 2, '\0');
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto v = static_cast<std::uint16_t>(samples[i]);
      out[2 * i] = static_cast<char>(v & 0xff);
      out[2 * i + 1] = static_cast<char>(v >> 8);
    }
    return out;
  }
  WriteCursor cursor;
  SF_INFO info{};
  info.samplerate = out_rate;
  info.channels = 1;
  info.format = sndfile_format(format);
  SNDFILE* file = sf_open_virtual(&write_io, SFM_WRITE, &info, &cursor);
  if (file == nullptr) {
    throw std::runtime_error("libsndfile cannot write " + std::string(to_string(format)) + ": " +
                             sf_strerror(nullptr));
  }
  if (format == AudioFormat::mp3 || format == AudioFormat::opus) {
    double quality = 0.5;  // libsndfile's default-ish VBR quality
    sf_command(file, SFC_SET_VBR_ENCODING_QUALITY, &quality, sizeof(quality));
  }
  const sf_count_t written =
      sf_write_short(file, samples.data(), static_cast<sf_count_t>(samples.size()));
  const std::string error = sf_strerror(file);
  sf_close(file);
  if (written != static_cast<sf_count_t>(samples.size())) {
    throw std::runtime_error("libsndfile failed writing " + std::string(to_string(format)) + ": " +
                             error);
  }
  return std::move(cursor.bytes);
}

// --- StreamEncoder -----------------------------------------------------------------------------

struct StreamEncoder::Encoder {
  WriteCursor cursor;
  SNDFILE* file = nullptr;
  std::size_t sent = 0;  // bytes of cursor.bytes already returned (or skipped)
  bool lame_tag_skipped = false;
  ~Encoder() {
    if (file != nullptr) sf_close(file);
  }
};

namespace {

std::string to_le_bytes(std::span<const std::int16_t> samples) {
  std::string bytes(samples.size() * 2, '\0');
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto v = static_cast<std::uint16_t>(samples[i]);
    bytes[2 * i] = static_cast<char>(v & 0xff);
    bytes[2 * i + 1] = static_cast<char>(v >> 8);
  }
  return bytes;
}

// Where the first MPEG audio frame ends when it is LAME's Info/Xing tag frame (0 when the first
// frame is audio), or nothing while `bytes` is too short to tell.
std::optional<std::size_t> lame_tag_frame_end(std::string_view bytes) {
  std::size_t at = 0;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "ID3") {  // an ID3v2 tag first
    if (bytes.size() < 10) return std::nullopt;
    at = 10;
    for (int i = 6; i < 10; ++i) at += static_cast<std::size_t>(bytes[static_cast<std::size_t>(i)] & 0x7f) << (7 * (9 - i));
  }
  if (bytes.size() < at + 4) return std::nullopt;
  const auto b = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[at + i])); };
  if (b(0) != 0xff || (b(1) & 0xe0) != 0xe0) return 0;  // not a frame: leave it alone
  const unsigned version = (b(1) >> 3) & 3;  // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const unsigned bitrate_index = b(2) >> 4;
  const unsigned rate_index = (b(2) >> 2) & 3;
  const unsigned padding = (b(2) >> 1) & 1;
  static constexpr int kMpeg1[] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0};
  static constexpr int kMpeg2[] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0};
  static constexpr int kRates[4][3] = {{11025, 12000, 8000}, {0, 0, 0}, {22050, 24000, 16000},
                                       {44100, 48000, 32000}};
  if (version == 1 || rate_index == 3) return 0;
  const int kbps = version == 3 ? kMpeg1[bitrate_index] : kMpeg2[bitrate_index];
  const int rate = kRates[version][rate_index];
  if (kbps == 0 || rate == 0) return 0;
  const std::size_t length =
      static_cast<std::size_t>((version == 3 ? 144000 : 72000) * kbps / rate) + padding;
  if (bytes.size() < at + length) return std::nullopt;
  // While encoding, the tag frame is a placeholder of zeros after its header.
  const std::string_view frame = bytes.substr(at, length);
  const bool tag = frame.find("Xing") != std::string_view::npos ||
                   frame.find("Info") != std::string_view::npos ||
                   frame.find_first_not_of('\0', 4) == std::string_view::npos;
  return tag ? at + length : 0;
}

}  // namespace

StreamEncoder::StreamEncoder(AudioFormat format, int rate)
    : format_(format), rate_(rate), out_rate_(output_rate(format, rate)) {
  if (out_rate_ != rate_) resampler_.emplace(rate_, out_rate_);
  if (format_ == AudioFormat::wav || format_ == AudioFormat::pcm) return;
  encoder_ = std::make_unique<Encoder>();
  SF_INFO info{};
  info.samplerate = out_rate_;
  info.channels = 1;
  info.format = sndfile_format(format_);
  encoder_->file = sf_open_virtual(&write_io, SFM_WRITE, &info, &encoder_->cursor);
  if (encoder_->file == nullptr) {
    throw std::runtime_error("libsndfile cannot write " + std::string(to_string(format_)) + ": " +
                             sf_strerror(nullptr));
  }
  if (format_ == AudioFormat::mp3) {
    // Constant bitrate: without the tag frame (see take_encoded) a decoder can only estimate a
    // stream's length from its first frame's bitrate, which is right only for CBR.
    int mode = SF_BITRATE_MODE_CONSTANT;
    sf_command(encoder_->file, SFC_SET_BITRATE_MODE, &mode, sizeof(mode));
  } else if (format_ == AudioFormat::opus) {
    double quality = 0.5;
    sf_command(encoder_->file, SFC_SET_VBR_ENCODING_QUALITY, &quality, sizeof(quality));
  }
}

StreamEncoder::~StreamEncoder() = default;

std::vector<std::int16_t> StreamEncoder::resample(std::span<const std::int16_t> samples,
                                                  bool last) {
  if (!resampler_) return {samples.begin(), samples.end()};
  std::vector<float> in(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) in[i] = static_cast<float>(samples[i]) / 32768.0f;
  std::vector<float> out;
  resampler_->process(in, last, out);
  std::vector<std::int16_t> converted(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    converted[i] =
        static_cast<std::int16_t>(std::lround(std::clamp(out[i], -1.0f, 1.0f) * 32767.0f));
  }
  return converted;
}

std::string StreamEncoder::take_encoded() {
  const std::string& bytes = encoder_->cursor.bytes;
  if (format_ == AudioFormat::mp3 && !encoder_->lame_tag_skipped) {
    // LAME begins with an Info/Xing frame whose frame count it fills in when the file closes; a
    // stream cannot take that back, and decoders trust the placeholder (they stop early), so the
    // stream leaves that frame out.
    const std::optional<std::size_t> skip = lame_tag_frame_end(bytes);
    if (!skip) return {};  // not enough bytes yet to tell
    encoder_->sent = *skip;
    encoder_->lame_tag_skipped = true;
  }
  if (bytes.size() <= encoder_->sent) return {};
  std::string out = bytes.substr(encoder_->sent);
  encoder_->sent = bytes.size();
  return out;
}

std::string StreamEncoder::push(std::span<const std::int16_t> samples) {
  const std::vector<std::int16_t> block = resample(samples, false);
  if (encoder_) {
    const auto n = static_cast<sf_count_t>(block.size());
    if (sf_write_short(encoder_->file, block.data(), n) != n) {
      throw std::runtime_error("libsndfile failed writing " + std::string(to_string(format_)) +
                               ": " + sf_strerror(encoder_->file));
    }
    return take_encoded();
  }
  std::string out;
  if (format_ == AudioFormat::wav && !header_sent_) {
    out = wav_header(out_rate_, 0xFFFFFFFFu);
    header_sent_ = true;
  }
  return out + to_le_bytes(block);
}

std::string StreamEncoder::finish() {
  const std::vector<std::int16_t> tail = resample({}, true);
  if (encoder_) {
    std::string out;
    if (!tail.empty()) out = push(tail);
    // Closing flushes the encoder; what it rewrites in bytes already sent stays as sent.
    const std::size_t sent = encoder_->sent;
    sf_close(encoder_->file);
    encoder_->file = nullptr;
    const std::string& bytes = encoder_->cursor.bytes;
    if (bytes.size() > sent) out += bytes.substr(sent);
    return out;
  }
  std::string out;
  if (format_ == AudioFormat::wav && !header_sent_) {
    out = wav_header(out_rate_, 0xFFFFFFFFu);
    header_sent_ = true;
  }
  return out + to_le_bytes(tail);
}

}  // namespace switchyard::worker::audio
