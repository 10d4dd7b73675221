// Embedding: index_select on the weight rows; the padding row is cut from the graph with where(detach).
#include "attend/nn/embedding.hpp"

#include "attend/ops/shape.hpp"

namespace attend::nn {

namespace {

const EmbeddingOptions& checked(const EmbeddingOptions& o) {
  ATTEND_CHECK(o.num_embeddings >= 0 && o.embedding_dim >= 0,
               "Embedding: num_embeddings and embedding_dim must be non-negative (got {} and {})", o.num_embeddings,
               o.embedding_dim);
  ATTEND_CHECK(o.padding_idx >= -1 && o.padding_idx < o.num_embeddings,
               "Embedding: padding_idx must be -1 (none) or in [0, {}), got {}", o.num_embeddings, o.padding_idx);
  return o;
}

}  // namespace

Embedding::Embedding(const EmbeddingOptions& options)
    : options_(checked(options)), weight_(register_parameter("weight", [&] {
        Rng rng(options_.seed);
        Tensor w = Tensor::randn({options_.num_embeddings, options_.embedding_dim}, rng);
        if (options_.padding_idx >= 0) w.select(0, options_.padding_idx).fill_(0.0);
        return w;
      }())) {}

Var Embedding::forward(const Tensor& ids) const {
  ATTEND_CHECK(ids.defined() && ids.dtype() == DType::i64, "Embedding: ids must be an i64 tensor, got {} with shape {}",
               ids.defined() ? dtype_name(ids.dtype()) : "undefined", shape_str(ids.shape()));
  const Tensor flat = ids.reshape({ids.numel()});  // [N]
  const std::vector<int64_t> values = flat.to_vector<int64_t>();
  bool has_padding = false;
  for (size_t i = 0; i < values.size(); ++i) {
    ATTEND_CHECK(values[i] >= 0 && values[i] < options_.num_embeddings,
                 "Embedding: id {} at flat position {} is outside [0, {}); ids shape {}", values[i], i,
                 options_.num_embeddings, shape_str(ids.shape()));
    has_padding = has_padding || values[i] == options_.padding_idx;
  }
  Var rows = index_select(weight_, 0, flat);  // [N, dim]
  if (has_padding) {
    // Rows looked up by padding_idx take their value from a detached copy, so no gradient reaches that row.
    Tensor is_pad = Tensor::zeros({flat.numel(), 1}, DType::u8);  // [N, 1]
    uint8_t* mask = is_pad.data<uint8_t>();
    for (size_t i = 0; i < values.size(); ++i) mask[i] = values[i] == options_.padding_idx ? 1 : 0;
    rows = where(is_pad, rows.detach(), rows);
  }
  Shape out_shape = ids.shape();
  out_shape.push_back(options_.embedding_dim);
  return reshape(rows, out_shape);  // [..., dim]
}

}  // namespace attend::nn
