// Token accuracy and exact match (BLEU lives in bleu.cpp).
#include <cmath>
#include <string_view>

#include "attend/core/error.hpp"
#include "attend/train/metrics.hpp"

namespace attend::train {

double TokenAccuracy::value() const {
  return total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

void TokenAccuracy::add(const TokenAccuracy& other) {
  correct += other.correct;
  total += other.total;
}

namespace {

// torch.argmax over one row: the first maximum, and NaN beats every number (the first NaN wins).
template <class T>
int64_t argmax(const T* row, int64_t n) {
  int64_t best = 0;
  for (int64_t v = 0; v < n; ++v) {
    if (std::isnan(row[v])) return v;
    if (row[v] > row[best]) best = v;
  }
  return best;
}

}  // namespace

TokenAccuracy token_accuracy(const Tensor& logits, const Tensor& target, int64_t ignore_index) {
  ATTEND_CHECK(logits.defined() && target.defined(), "token_accuracy: logits and target must be defined tensors");
  ATTEND_CHECK(logits.dim() == 3 && logits.size(2) > 0,
               "token_accuracy: logits must be [B, T, V] with V > 0, got shape {}", shape_str(logits.shape()));
  ATTEND_CHECK(target.dtype() == DType::i64, "token_accuracy: target must be i64 token ids, got {} of shape {}",
               dtype_name(target.dtype()), shape_str(target.shape()));
  ATTEND_CHECK(target.dim() == 2 && target.size(0) == logits.size(0) && target.size(1) == logits.size(1),
               "token_accuracy: target must be [B, T] matching logits [B, T, V]; target shape {}, logits shape {}",
               shape_str(target.shape()), shape_str(logits.shape()));
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  const Tensor ids = target.contiguous();
  const int64_t* y = ids.data<int64_t>();
  return dispatch_floating(logits.dtype(), "token_accuracy", [&](auto tag) {
    using Real = decltype(tag);
    const Tensor x = logits.contiguous();
    const Real* p = x.data<Real>();
    TokenAccuracy acc;
    for (int64_t i = 0; i < B * T; ++i) {
      if (y[i] == ignore_index) continue;
      ATTEND_CHECK(y[i] >= 0 && y[i] < V,
                   "token_accuracy: target[{}, {}] = {} is outside [0, {}) and is not ignore_index ({}); "
                   "target shape {}",
                   i / T, i % T, y[i], V, ignore_index, shape_str(target.shape()));
      acc.total += 1;
      acc.correct += argmax(p + i * V, V) == y[i] ? 1 : 0;
    }
    return acc;
  });
}

namespace {

std::string_view trim_ascii(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

double exact_match(const std::vector<std::string>& hyps, const std::vector<std::string>& refs) {
  ATTEND_CHECK(hyps.size() == refs.size(), "exact_match: {} hypotheses but {} references (one per hypothesis)",
               hyps.size(), refs.size());
  if (hyps.empty()) return 0.0;
  size_t equal = 0;
  for (size_t i = 0; i < hyps.size(); ++i) equal += trim_ascii(hyps[i]) == trim_ascii(refs[i]) ? 1 : 0;
  return static_cast<double>(equal) / static_cast<double>(hyps.size());
}

}  // namespace attend::train
