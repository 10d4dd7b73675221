// Attention selector (see the header).
#include "attend/explain/selector.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "attend/core/error.hpp"
#include "attend/core/shape.hpp"

namespace attend::explain {
namespace {

bool parse_index(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

std::string plural(int64_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

}  // namespace

AttentionKind parse_attention_kind(const std::string& name) {
  std::string n = name;
  std::replace(n.begin(), n.end(), '_', '-');
  for (AttentionKind k : {AttentionKind::encoder_self, AttentionKind::decoder_self, AttentionKind::cross,
                          AttentionKind::rnn}) {
    if (n == attention_kind_name(k)) return k;
  }
  throw Error(fmt::format("--kind: unknown attention kind '{}' (expected encoder-self, decoder-self, cross or rnn)",
                          name));
}

AttentionSelector parse_selector(const std::string& kind, const std::string& layer, const std::string& head,
                                 const std::string& reduce) {
  AttentionSelector s;
  s.kind = parse_attention_kind(kind);
  if (layer == "all") {
    s.layer.which = LayerChoice::Which::all;
  } else if (layer == "last") {
    s.layer.which = LayerChoice::Which::last;
  } else {
    s.layer.which = LayerChoice::Which::one;
    ATTEND_CHECK(parse_index(layer, s.layer.index),
                 "--layer: expected all, last or a layer number (0, 1, ...), got '{}'", layer);
  }
  if (head == "all") {
    s.head.all = true;
  } else {
    s.head.all = false;
    const size_t dots = head.find("..");
    const bool ok = dots == std::string::npos
                        ? parse_index(head, s.head.first) && (s.head.last = s.head.first, true)
                        : parse_index(std::string_view(head).substr(0, dots), s.head.first) &&
                              parse_index(std::string_view(head).substr(dots + 2), s.head.last);
    ATTEND_CHECK(ok, "--head: expected all, a head number i or a range i..j (0-based, inclusive), got '{}'", head);
    ATTEND_CHECK(s.head.first <= s.head.last, "--head: the range '{}' is empty (its first head {} is after its last {})",
                 head, s.head.first, s.head.last);
  }
  if (reduce == "none") s.reduce = HeadReduction::none;
  else if (reduce == "mean") s.reduce = HeadReduction::mean;
  else if (reduce == "max") s.reduce = HeadReduction::max;
  else throw Error(fmt::format("--reduce: expected none, mean or max, got '{}'", reduce));
  return s;
}

void check_kind(AttentionKind kind, const std::vector<AttentionKind>& available, const std::string& model) {
  if (std::find(available.begin(), available.end(), kind) != available.end()) return;
  std::string names;
  for (AttentionKind k : available) names += (names.empty() ? "" : ", ") + std::string(attention_kind_name(k));
  throw Error(fmt::format("--kind {} not available: this {} model has {}", attention_kind_name(kind), model, names));
}

std::vector<int64_t> selected_layers(const AttentionSelector& selector, int64_t layers) {
  ATTEND_CHECK(layers >= 1, "selected_layers: the model has no {} attention layers", attention_kind_name(selector.kind));
  switch (selector.layer.which) {
    case LayerChoice::Which::last: return {layers - 1};
    case LayerChoice::Which::one:
      ATTEND_CHECK(selector.layer.index < layers, "layer {} out of range: the model has {} (0..{}, or last)",
                   selector.layer.index, plural(layers, "layer"), layers - 1);
      return {selector.layer.index};
    case LayerChoice::Which::all: break;
  }
  std::vector<int64_t> all(static_cast<size_t>(layers));
  for (int64_t i = 0; i < layers; ++i) all[static_cast<size_t>(i)] = i;
  return all;
}

std::vector<int64_t> selected_heads(const AttentionSelector& selector, int64_t heads) {
  ATTEND_CHECK(heads >= 1, "selected_heads: the attention has no heads");
  const int64_t first = selector.head.all ? 0 : selector.head.first;
  const int64_t last = selector.head.all ? heads - 1 : selector.head.last;
  ATTEND_CHECK(last < heads, "head {} out of range: the attention has {} ({}, or all)", last, plural(heads, "head"),
               heads == 1 ? std::string("0") : fmt::format("0..{}", heads - 1));
  std::vector<int64_t> out;
  for (int64_t h = first; h <= last; ++h) out.push_back(h);
  return out;
}

namespace {

void check_weights(const char* op, const Tensor& weights, int64_t T, int64_t S, const std::vector<std::string>& rows,
                   const std::vector<std::string>& columns) {
  ATTEND_CHECK(static_cast<int64_t>(rows.size()) == T && static_cast<int64_t>(columns.size()) == S,
               "{}: {} row and {} column labels for weights of shape {}", op, rows.size(), columns.size(),
               shape_str(weights.shape()));
}

void check_4d(const char* op, const Tensor& weights) {
  ATTEND_CHECK(weights.defined() && weights.dim() == 4, "{}: weights must be [L, H, T, S], got shape {}", op,
               weights.defined() ? shape_str(weights.shape()) : std::string("(undefined)"));
}

// The heatmaps of w [L, H, T, S]: layer ids[i] is w's layer at[i] (heads likewise).
struct Picked {
  std::vector<int64_t> ids, at;
};

std::vector<Heatmap> heatmaps_of(const Tensor& weights, const AttentionSelector& selector, const Picked& layers,
                                 const Picked& heads, const std::vector<std::string>& rows,
                                 const std::vector<std::string>& columns) {
  const int64_t H = weights.shape()[1], T = weights.shape()[2], S = weights.shape()[3];
  const std::vector<float> w = weights.to(DType::f32).contiguous().to_vector<float>();
  const char* kind = attention_kind_name(selector.kind);
  const std::string head_range = heads.ids.size() == 1
                                     ? fmt::format("head {}", heads.ids.front())
                                     : fmt::format("heads {}..{}", heads.ids.front(), heads.ids.back());
  std::vector<Heatmap> out;
  auto plane = [&](int64_t l, int64_t h) { return w.data() + ((l * H + h) * T) * S; };
  for (size_t li = 0; li < layers.ids.size(); ++li) {
    const int64_t l = layers.at[li];
    if (selector.reduce == HeadReduction::none || heads.ids.size() == 1) {
      for (size_t hi = 0; hi < heads.ids.size(); ++hi) {
        const float* p = plane(l, heads.at[hi]);
        out.push_back({Tensor::from_vector(std::vector<float>(p, p + T * S), {T, S}), rows, columns,
                       fmt::format("{}, layer {}, head {}", kind, layers.ids[li], heads.ids[hi])});
      }
      continue;
    }
    std::vector<double> acc(static_cast<size_t>(T * S), selector.reduce == HeadReduction::max ? -1e300 : 0.0);
    for (int64_t h : heads.at) {
      const float* p = plane(l, h);
      for (int64_t i = 0; i < T * S; ++i) {
        double& a = acc[static_cast<size_t>(i)];
        a = selector.reduce == HeadReduction::max ? std::max(a, static_cast<double>(p[i])) : a + p[i];
      }
    }
    std::vector<float> r(acc.size());
    for (size_t i = 0; i < acc.size(); ++i) {
      r[i] = static_cast<float>(selector.reduce == HeadReduction::mean ? acc[i] / static_cast<double>(heads.ids.size())
                                                                       : acc[i]);
    }
    out.push_back({Tensor::from_vector(r, {T, S}), rows, columns,
                   fmt::format("{}, layer {}, {} of {}", kind, layers.ids[li],
                               selector.reduce == HeadReduction::mean ? "mean" : "max", head_range)});
  }
  return out;
}

Picked same(const std::vector<int64_t>& ids) { return {ids, ids}; }

Picked in_order(const std::vector<int64_t>& ids, int64_t first) {
  Picked p{ids, {}};
  for (int64_t id : ids) p.at.push_back(id - first);
  return p;
}

}  // namespace

std::vector<Heatmap> select_heatmaps(const Tensor& weights, const AttentionSelector& selector,
                                     const std::vector<std::string>& rows, const std::vector<std::string>& columns) {
  check_4d("select_heatmaps", weights);
  check_weights("select_heatmaps", weights, weights.shape()[2], weights.shape()[3], rows, columns);
  const std::vector<int64_t> layers = selected_layers(selector, weights.shape()[0]);
  const std::vector<int64_t> heads = selected_heads(selector, weights.shape()[1]);
  return heatmaps_of(weights, selector, same(layers), same(heads), rows, columns);
}

nn::AttentionCapture capture_request(const AttentionSelector& selector, int64_t layers, int64_t heads) {
  const std::vector<int64_t> l = selected_layers(selector, layers), h = selected_heads(selector, heads);
  nn::AttentionCapture capture;
  capture.of(selector.kind) = {.layers = l, .heads = {h.front(), h.back() + 1}};
  return capture;
}

std::vector<Heatmap> captured_heatmaps(const Tensor& kept, const AttentionSelector& selector, int64_t layers,
                                       int64_t heads, const std::vector<std::string>& rows,
                                       const std::vector<std::string>& columns) {
  check_4d("captured_heatmaps", kept);
  check_weights("captured_heatmaps", kept, kept.shape()[2], kept.shape()[3], rows, columns);
  const std::vector<int64_t> l = selected_layers(selector, layers), h = selected_heads(selector, heads);
  ATTEND_CHECK(kept.shape()[0] == static_cast<int64_t>(l.size()) && kept.shape()[1] == static_cast<int64_t>(h.size()),
               "captured_heatmaps: weights of shape {} for {} selected layers of {} heads", shape_str(kept.shape()),
               l.size(), h.size());
  Picked layer_pick{l, {}};
  for (size_t i = 0; i < l.size(); ++i) layer_pick.at.push_back(static_cast<int64_t>(i));
  return heatmaps_of(kept, selector, layer_pick, in_order(h, h.front()), rows, columns);
}

}  // namespace attend::explain
