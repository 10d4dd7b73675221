// attention_tour: the attention read of the tutorial, then multi-head attention, in one program that reads top to
// bottom. Prints the weights each scorer gives one query over three (key, value) pairs, then a causal self-attention
// with per-head weights. Exits 1 if a result breaks what attention promises (weights sum to 1, masked keys get 0).
#include <attend/attend.hpp>
#include <fmt/format.h>

#include <cmath>

using namespace attend;
using namespace attend::nn;

int main() {
  // One query and three (key, value) pairs, batch 1: query [1, 1, 2], keys and values [1, 3, 2].
  const Var query(Tensor::from_vector<float>({1, 0}, {1, 1, 2}));
  const Var keys(Tensor::from_vector<float>({1, 0, 0, 1, 1, 1}, {1, 3, 2}));
  const Var values(Tensor::from_vector<float>({10, 0, 0, 10, 5, 5}, {1, 3, 2}));

  // Every scorer behind the one Scorer interface; additive and MLP draw their weights from the seed.
  const std::pair<const char*, ScorerOptions> scorers[] = {
      {"dot", {.kind = ScoreKind::dot, .dim_query = 2}},
      {"scaled_dot", {.kind = ScoreKind::scaled_dot, .dim_query = 2}},
      {"general", {.kind = ScoreKind::general, .dim_query = 2, .seed = 1}},
      {"additive", {.kind = ScoreKind::additive, .dim_query = 2, .hidden = 4, .seed = 2}},
      {"mlp", {.kind = ScoreKind::mlp, .dim_query = 2, .hidden = 4, .seed = 3}},
  };
  bool ok = true;
  for (const auto& [name, options] : scorers) {
    const std::shared_ptr<Scorer> scorer = make_scorer(options);
    const AttentionOutput out = attention(query, keys, values, {}, *scorer);  // weights [1, 1, 3], context [1, 1, 2]
    const std::vector<float> w = out.weights.value().to_vector<float>();
    const std::vector<float> c = out.context.value().to_vector<float>();
    fmt::print("{:>10}: weights [{:.3f}, {:.3f}, {:.3f}]  context [{:.3f}, {:.3f}]\n", name, w[0], w[1], w[2], c[0],
               c[1]);
    ok = ok && std::abs(w[0] + w[1] + w[2] - 1.0f) < 1e-6f;
  }

  // Causal self-attention with 2 heads over 4 steps; the second item has only 3 real steps.
  MultiHeadAttention mha({.embed_dim = 8, .num_heads = 2, .seed = 4});
  Rng rng(5);
  const Var x(Tensor::randn({2, 4, 8}, rng));                           // [B, T, C]
  const Tensor lengths = Tensor::from_vector<int64_t>({4, 3}, {2});
  const AttentionMask mask = AttentionMask::key_lengths(lengths) & AttentionMask::causal();
  const MultiHeadAttentionOutput y =
      mha.forward(x, x, x, mask, {.need_weights = true, .average_weights = false});  // weights [B, H, T, T]
  fmt::print("multi-head output {}, weights {}\n", shape_str(y.output.value().shape()),
             shape_str(y.weights.value().shape()));
  const Tensor& w = y.weights.value();
  ok = ok && w.at({0, 0, 0, 1}) == 0.0 && w.at({1, 1, 3, 3}) == 0.0;  // the future and padding get weight 0
  fmt::print("{}\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
