// Positional encodings: the sinusoid table computed on demand, and the learned table added by position.
#include "attend/nn/transformer/positional_encoding.hpp"

#include <cmath>
#include <vector>

#include "attend/ops/dropout.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn {

namespace {

void check_input(const char* op, const Var& x, int64_t dim, int64_t offset) {
  ATTEND_CHECK(x.defined() && x.dim() == 3, "{}: x must be [B, T, C], got shape {}", op,
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  ATTEND_CHECK(x.size(-1) == dim, "{}: x.shape[-1] must equal dim (expected {}, got {}); x shape {}", op, dim,
               x.size(-1), shape_str(x.shape()));
  ATTEND_CHECK(offset >= 0, "{}: offset must be non-negative, got {}", op, offset);
}

void check_dropout(const char* op, double p) {
  ATTEND_CHECK(p >= 0.0 && p <= 1.0, "{}: dropout must be in [0, 1], got {}", op, p);
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(const SinusoidalPositionalEncodingOptions& options)
    : options_(options), rng_(options.seed) {
  ATTEND_CHECK(options_.dim > 0, "SinusoidalPositionalEncoding: dim must be positive, got {}", options_.dim);
  ATTEND_CHECK(options_.base > 0.0, "SinusoidalPositionalEncoding: base must be positive, got {}", options_.base);
  check_dropout("SinusoidalPositionalEncoding", options_.dropout);
}

Tensor SinusoidalPositionalEncoding::encoding(int64_t length, int64_t offset, DType dtype) const {
  ATTEND_CHECK(length >= 0 && offset >= 0,
               "SinusoidalPositionalEncoding::encoding: length and offset must be non-negative (got {} and {})",
               length, offset);
  const int64_t c = options_.dim;
  std::vector<double> table(static_cast<size_t>(length * c));
  std::vector<double> inv_freq(static_cast<size_t>((c + 1) / 2));  // base^(-2i / C) for pair i
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    inv_freq[i] = std::pow(options_.base, -2.0 * static_cast<double>(i) / static_cast<double>(c));
  }
  for (int64_t t = 0; t < length; ++t) {
    const double pos = static_cast<double>(offset + t);
    for (int64_t j = 0; j < c; ++j) {
      const double angle = pos * inv_freq[static_cast<size_t>(j / 2)];
      table[static_cast<size_t>(t * c + j)] = (j % 2 == 0) ? std::sin(angle) : std::cos(angle);
    }
  }
  return Tensor::from_vector<double>(table, {length, c}).to(dtype);  // [T, C]
}

Var SinusoidalPositionalEncoding::forward(const Var& x, int64_t offset) {
  check_input("SinusoidalPositionalEncoding", x, options_.dim, offset);
  const Var pe(encoding(x.size(1), offset, x.dtype()));  // [T, C], broadcast over B
  return dropout(add(x, pe), options_.dropout, is_training(), rng_);
}

LearnedPositionalEncoding::LearnedPositionalEncoding(const LearnedPositionalEncodingOptions& options)
    : options_(options),
      rng_(options.seed, /*stream=*/1),
      weight_(register_parameter("weight", [&] {
        ATTEND_CHECK(options_.max_len > 0 && options_.dim > 0,
                     "LearnedPositionalEncoding: max_len and dim must be positive (got {} and {})", options_.max_len,
                     options_.dim);
        check_dropout("LearnedPositionalEncoding", options_.dropout);
        Rng init(options_.seed);
        return Tensor::randn({options_.max_len, options_.dim}, init);
      }())) {}

Var LearnedPositionalEncoding::forward(const Var& x, int64_t offset) {
  check_input("LearnedPositionalEncoding", x, options_.dim, offset);
  const int64_t t = x.size(1);
  ATTEND_CHECK(offset + t <= options_.max_len,
               "LearnedPositionalEncoding: positions offset + T must not exceed max_len (offset {} + T {} > max_len "
               "{}); x shape {}",
               offset, t, options_.max_len, shape_str(x.shape()));
  const Var pe = narrow(weight_, 0, offset, t);  // [T, C], broadcast over B
  return dropout(add(x, pe), options_.dropout, is_training(), rng_);
}

}  // namespace attend::nn
