// Embedding: a lookup table of learned vectors, one row per token id, as torch.nn.Embedding.
//
// Shapes: ids i64 of any shape [...] -> [..., embedding_dim]; weight [num_embeddings, embedding_dim].
// Initialisation (PyTorch's default): weight ~ N(0, 1) from attend::Rng(options.seed), with the padding_idx row zeroed.
// padding_idx (-1: none) names a row that never receives a gradient, so it stays what it was loaded or initialised
// as; its value is still returned for that id.
// Usage:
//   Embedding embed({.num_embeddings = 1000, .embedding_dim = 64, .padding_idx = 0});
//   Var x = embed.forward(ids);                          // ids i64 [B, T] -> x [B, T, 64]
//   embed.load_state_dict({{"weight", w}});
#pragma once

#include <cstdint>

#include "attend/nn/module.hpp"

namespace attend::nn {

struct EmbeddingOptions {
  int64_t num_embeddings;
  int64_t embedding_dim;
  int64_t padding_idx = -1;  ///< -1: no padding row; otherwise in [0, num_embeddings)
  uint64_t seed = 0;
};

class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);

  /// ids i64 [...] -> [..., embedding_dim]. An id outside [0, num_embeddings) throws naming it and its position.
  Var forward(const Tensor& ids) const;
  Var operator()(const Tensor& ids) const { return forward(ids); }

  const Var& weight() const { return weight_; }
  const EmbeddingOptions& options() const { return options_; }

 private:
  EmbeddingOptions options_;
  const Var& weight_;
};

}  // namespace attend::nn
