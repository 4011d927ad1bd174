// Audio in and out of memory, shared by the audio engines: decoding an upload (wav, flac, ogg,
// mp3: whatever libsndfile reads) block by block into 16 kHz mono float samples, and encoding
// synthesised 16-bit mono speech as wav, pcm, flac, mp3 or opus (libsndfile, which uses
// libmp3lame and libopus for the last two). Errors in the input are ApiErrors (400).
#pragma once

#include <samplerate.h>
#include <sndfile.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::worker::audio {

inline constexpr int kRecognizerRate = 16000;  // what every recogniser here takes

// Converts mono float audio from one rate to another, block by block (libsamplerate).
class Resampler {
 public:
  Resampler(int from_rate, int to_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Appends the converted samples of `in` to `out`; `last` flushes what the filter holds.
  void process(std::span<const float> in, bool last, std::vector<float>& out);

 private:
  SRC_STATE* state_ = nullptr;
  double ratio_;
};

// Bytes in memory read through libsndfile's virtual I/O.
struct ByteCursor {
  std::string_view bytes;
  sf_count_t pos = 0;
};

// An upload being decoded. Holds a view of the bytes, which must outlive it.
class AudioDecoder {
 public:
  // Throws ApiError (400) for an empty file or bytes libsndfile cannot decode.
  explicit AudioDecoder(std::string_view bytes);
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  int source_rate() const { return info_.samplerate; }
  int source_channels() const { return info_.channels; }
  // Appends up to about `max_frames` source frames' worth of 16 kHz mono samples to `out`.
  // Returns false once the input is exhausted (and everything has been appended).
  bool read(std::vector<float>& out, std::size_t max_frames = 16384);
  // The whole rest of the input at 16 kHz mono.
  std::vector<float> read_all();
  // 16 kHz samples produced so far.
  std::uint64_t samples_out() const { return samples_out_; }
  double seconds_out() const { return static_cast<double>(samples_out_) / kRecognizerRate; }

 private:
  ByteCursor cursor_;
  SF_INFO info_{};
  SNDFILE* file_ = nullptr;
  std::optional<Resampler> resampler_;
  std::vector<float> frames_;
  std::vector<float> mono_;
  bool done_ = false;
  std::uint64_t samples_out_ = 0;
};

enum class AudioFormat { wav, pcm, flac, mp3, opus };

std::optional<AudioFormat> audio_format_from_string(std::string_view name);
std::string_view to_string(AudioFormat format);
std::string_view content_type(AudioFormat format);

// The rate a format is written at for a source rate: pcm is 24 kHz (as OpenAI's), opus one of
// the rates Opus takes (24 kHz unless the source already is 8, 12, 16, 24 or 48 kHz), others as
// synthesised.
int output_rate(AudioFormat format, int source_rate);

// Encodes 16-bit mono samples at `rate` Hz (resampling to output_rate() where needed). Throws
// std::runtime_error when libsndfile cannot (a library without MP3 or Opus support).
std::string encode_audio(std::span<const std::int16_t> samples, int rate, AudioFormat format);

// Encodes speech as it is synthesised, for `stream_format: audio`: each push() returns the bytes
// ready to send. wav is a header whose sizes say "unknown length" (as streaming servers write
// it) and then PCM; pcm is PCM; flac, mp3 and opus come from libsndfile writing to memory, sent as
// the encoder produces them (the header fix-ups libsndfile makes when it closes, such as FLAC's
// total sample count, are not sent: a streamed file reads as one of unknown length).
class StreamEncoder {
 public:
  StreamEncoder(AudioFormat format, int rate);
  ~StreamEncoder();
  StreamEncoder(const StreamEncoder&) = delete;
  StreamEncoder& operator=(const StreamEncoder&) = delete;

  // Bytes to send for the next block of samples (may be empty).
  std::string push(std::span<const std::int16_t> samples);
  // The remaining bytes.
  std::string finish();

 private:
  struct Encoder;  // libsndfile writing to memory
  std::vector<std::int16_t> resample(std::span<const std::int16_t> samples, bool last);
  std::string take_encoded();

  AudioFormat format_;
  int rate_;
  int out_rate_;
  bool header_sent_ = false;
  std::optional<Resampler> resampler_;
  std::unique_ptr<Encoder> encoder_;
};

// A WAV header for 16-bit mono PCM; data_bytes 0xFFFFFFFF means "length unknown".
std::string wav_header(int rate, std::uint32_t data_bytes);

}  // namespace switchyard::worker::audio
