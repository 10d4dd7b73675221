// attend explain --example seed: the tutorial's worked example. One query, three (key, value) pairs; the scores under
// each scorer of nn/attention (dot, scaled dot, general, additive, MLP; the learned ones from fixed seeds, their
// parameters printed), the softmax weights and the weighted sum, each step with its numbers.
#include <fmt/core.h>

#include <cmath>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/core/error.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/nn/attention/scorer.hpp"
#include "explain_example.hpp"

namespace attend::cli {
namespace {

std::string vec(const std::vector<float>& v, size_t begin, size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) out += fmt::format("{}{:.3f}", i ? ", " : "", v[begin + i]);
  return out + "]";
}

/// A parameter as rows: "[[a, b], [c, d]]".
std::string matrix(const Tensor& t) {
  const std::vector<float> v = t.to(DType::f32).contiguous().to_vector<float>();
  if (t.dim() <= 1) return vec(v, 0, v.size());
  const auto cols = static_cast<size_t>(t.shape().back());
  std::string out = "[";
  for (size_t r = 0; r * cols < v.size(); ++r) out += (r ? ", " : "") + vec(v, r * cols, cols);
  return out + "]";
}

struct Scored {
  const char* name;
  const char* formula;
  nn::ScorerOptions options;
};

int example_seed() {
  using nn::ScoreKind;
  const std::vector<float> q = {1, 0}, k = {1, 0, 0, 1, 1, 1}, v = {10, 0, 0, 10, 5, 5};
  const Var query(Tensor::from_vector(q, {1, 1, 2}));   // [B=1, Tq=1, D=2]
  const Var keys(Tensor::from_vector(k, {1, 3, 2}));    // [B=1, Tk=3, D=2]
  const Var values(Tensor::from_vector(v, {1, 3, 2}));  // [B=1, Tk=3, Dv=2]
  fmt::print("Attention, step by step: one query reads three (key, value) pairs.\n\n");
  fmt::print("  query  q  = {}\n", vec(q, 0, 2));
  for (size_t i = 0; i < 3; ++i) {
    fmt::print("  pair {}: key k{} = {}   value v{} = {}\n", i + 1, i + 1, vec(k, 2 * i, 2), i + 1, vec(v, 2 * i, 2));
  }
  const Scored scorers[] = {
      {"dot", "e_i = q · k_i", {.kind = ScoreKind::dot, .dim_query = 2}},
      {"scaled_dot", "e_i = q · k_i / √d   (d = 2)", {.kind = ScoreKind::scaled_dot, .dim_query = 2}},
      {"general", "e_i = (W q) · k_i", {.kind = ScoreKind::general, .dim_query = 2, .seed = 1}},
      {"additive", "e_i = vᵀ tanh(W_q q + b + W_k k_i)", {.kind = ScoreKind::additive, .dim_query = 2, .hidden = 4, .seed = 2}},
      {"mlp", "e_i = w₂ᵀ tanh(W₁ [q; k_i] + b₁) + b₂", {.kind = ScoreKind::mlp, .dim_query = 2, .hidden = 4, .seed = 3}},
  };
  struct Row {
    std::vector<float> scores, weights, context;
  };
  std::vector<Row> rows;
  fmt::print("\nStep 1. Scores: how well each key matches the query, one number per pair.\n");
  for (const Scored& s : scorers) {
    const auto scorer = nn::make_scorer(s.options);
    Row r;
    r.scores = scorer->score(query, keys).value().to_vector<float>();  // [1, 1, 3]
    const nn::AttentionOutput out = nn::attention(query, keys, values, {}, *scorer);
    r.weights = out.weights.value().to_vector<float>();  // [1, 1, 3]
    r.context = out.context.value().to_vector<float>();  // [1, 1, 2]
    fmt::print("\n  {:<10}  {}\n", s.name, s.formula);
    for (const auto& [name, param] : scorer->named_parameters()) {
      fmt::print("              {} = {}\n", name, matrix(param.value()));
    }
    fmt::print("              e = {}\n", vec(r.scores, 0, 3));
    rows.push_back(std::move(r));
  }
  fmt::print("\nStep 2. Weights: softmax turns the scores into a distribution, α_i = exp(e_i) / Σ_j exp(e_j).\n\n");
  for (size_t n = 0; n < rows.size(); ++n) {
    const Row& r = rows[n];
    const double m = std::max({r.scores[0], r.scores[1], r.scores[2]});
    std::vector<float> ex(3);
    double total = 0;
    for (size_t i = 0; i < 3; ++i) total += ex[i] = static_cast<float>(std::exp(r.scores[i] - m));
    for (size_t i = 0; i < 3; ++i) {  // the library's softmax and the formula agree
      ATTEND_ASSERT(std::abs(ex[i] / total - r.weights[i]) < 1e-5, "explain --example: softmax of {} disagrees",
                    scorers[n].name);
    }
    fmt::print("  {:<10}  exp(e - max e) = {}, sum {:.3f}  ->  α = {}  (sums to {:.3f})\n", scorers[n].name,
               vec(ex, 0, 3), total, vec(r.weights, 0, 3), r.weights[0] + r.weights[1] + r.weights[2]);
  }
  fmt::print("\nStep 3. Read: the context is the weighted sum of the values, c = Σ_i α_i v_i.\n\n");
  for (size_t n = 0; n < rows.size(); ++n) {
    const Row& r = rows[n];
    std::string terms;
    for (size_t i = 0; i < 3; ++i) terms += fmt::format("{}{:.3f}·{}", i ? " + " : "", r.weights[i], vec(v, 2 * i, 2));
    fmt::print("  {:<10}  c = {} = {}\n", scorers[n].name, terms, vec(r.context, 0, 2));
  }
  fmt::print("\nThe query [1, 0] matches k1 = [1, 0] and k3 = [1, 1] equally under dot, so their values share the\n"
             "weight and c leans towards v1 and v3; the learned scorers (general, additive, mlp) weigh the pairs by\n"
             "their parameters, which training would shape.\n");
  return 0;
}

}  // namespace

int run_explain_example(const std::string& name) {
  if (name == "seed") return example_seed();
  throw Error(fmt::format("explain: unknown --example '{}' (available: seed)", name));
}

}  // namespace attend::cli
