// Positional encodings: the order information added to token embeddings before a Transformer, which by itself
// treats its input as a set.
//
// SinusoidalPositionalEncoding (Vaswani et al. 2017, "Attention Is All You Need", section 3.5): computed, no
// parameters, defined for any position,
//   PE[pos, 2i] = sin(pos / base^(2i / C)),   PE[pos, 2i + 1] = cos(pos / base^(2i / C))     (base 10000)
// LearnedPositionalEncoding (Gehring et al. 2017; BERT, GPT-2): a trained table `weight` [max_len, C], one row per
// position, like an Embedding indexed by position; positions ≥ max_len are an error.
// Rotary positions (Su et al. 2021) act on queries and keys inside MultiHeadAttention (option `rotary`).
//
// Both add the encoding of positions offset .. offset + T − 1 to x, then apply dropout (training only), as in the
// paper. `offset` is the number of tokens already decoded when decoding incrementally.
// Shapes: x [B, T, C] (batch_first) -> [B, T, C]; encoding(T) is [T, C].
// Usage:
//   SinusoidalPositionalEncoding pe({.dim = 64, .dropout = 0.1});
//   Var h = pe.forward(embedded);                      // [B, T, 64]
//   Var h_t = pe.forward(embedded_step, /*offset=*/t); // step t of incremental decoding, [B, 1, 64]
#pragma once

#include <cstdint>

#include "attend/core/rng.hpp"
#include "attend/nn/module.hpp"

namespace attend::nn {

struct SinusoidalPositionalEncodingOptions {
  int64_t dim = 0;        ///< C, the model width (odd widths end with a sine column)
  double dropout = 0.0;   ///< on x + PE, while training
  double base = 10000.0;  ///< the wavelength base of the paper
  uint64_t seed = 0;      ///< dropout mask stream
};

class SinusoidalPositionalEncoding : public Module {
 public:
  explicit SinusoidalPositionalEncoding(const SinusoidalPositionalEncodingOptions& options);

  /// x [B, T, C] -> x + PE[offset : offset + T] (broadcast over B), then dropout. Throws naming the shape when x is
  /// not 3-D or its width is not dim, or when offset < 0.
  Var forward(const Var& x, int64_t offset = 0);
  /// The encoding of positions offset .. offset + length − 1: [length, C], computed in f64 and converted to dtype.
  Tensor encoding(int64_t length, int64_t offset = 0, DType dtype = DType::f32) const;

  const SinusoidalPositionalEncodingOptions& options() const { return options_; }

 private:
  SinusoidalPositionalEncodingOptions options_;
  Rng rng_;
};

struct LearnedPositionalEncodingOptions {
  int64_t max_len = 0;   ///< number of positions with a learned row
  int64_t dim = 0;       ///< C
  double dropout = 0.0;  ///< on x + weight[positions], while training
  uint64_t seed = 0;     ///< initialisation (N(0, 1), as nn.Embedding) and dropout streams
};

class LearnedPositionalEncoding : public Module {
 public:
  explicit LearnedPositionalEncoding(const LearnedPositionalEncodingOptions& options);

  /// x [B, T, C] -> x + weight[offset : offset + T], then dropout. Throws naming offset, T and max_len when
  /// offset + T > max_len, and naming the shape when x is not [B, T, dim].
  Var forward(const Var& x, int64_t offset = 0);

  /// [max_len, C]
  const Var& weight() const { return weight_; }
  const LearnedPositionalEncodingOptions& options() const { return options_; }

 private:
  LearnedPositionalEncodingOptions options_;
  Rng rng_;
  const Var& weight_;
};

}  // namespace attend::nn
