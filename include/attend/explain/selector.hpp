// Attention selector: which attention weights to keep and how to reduce them, the `--kind --layer --head --reduce`
// of `attend explain`.
//
//   kind    encoder-self | decoder-self | cross | rnn      (an RNN-attention model has the one kind "rnn")
//   layer   all | last | k                                  (0-based)
//   head    all | i | i..j                                  (0-based, inclusive)
//   reduce  none | mean | max                               over the selected heads (none: one panel per head)
//
// select_heatmaps() applies a selector to the weights of one kind, [L, H, T, S] (layers, heads, target or query
// positions, source or key positions): one Heatmap per selected layer (reduced) or per (layer, head) (none), titled
// "cross, layer 2, head 0" or "cross, layer 2, mean of heads 0..3". A selector that asks for more than the weights
// hold is an error naming the limits: "layer 7 out of range: the model has 6 layers (0..5, or last)".
// capture_request() turns a selector into the model's capture request (nn/attention/capture.hpp), so that only the
// selected layers and heads are computed and kept; captured_heatmaps() draws what came back.
//
// Usage:
//   AttentionSelector sel = parse_selector("cross", "last", "0..3", "mean");
//   std::vector<Heatmap> panels = select_heatmaps(weights, sel, target_pieces, source_pieces);  // weights [L,H,T,S]
//   nn::AttentionCapture capture = capture_request(sel, /*layers*/ 6, /*heads*/ 8);          // cross {5}, [0, 4)
//   panels = captured_heatmaps(kept, sel, 6, 8, target_pieces, source_pieces);              // kept [1, 4, T, S]
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend/explain/heatmap.hpp"
#include "attend/nn/attention/capture.hpp"

namespace attend::explain {

/// The kinds of attention (the model's capture kinds).
using AttentionKind = nn::CaptureKind;
enum class HeadReduction { none, mean, max };

struct LayerChoice {
  enum class Which { all, last, one } which = Which::last;
  int64_t index = 0;  ///< Which::one
};

struct HeadChoice {
  bool all = true;
  int64_t first = 0, last = 0;  ///< inclusive, when !all
};

struct AttentionSelector {
  AttentionKind kind = AttentionKind::cross;
  LayerChoice layer;
  HeadChoice head;
  HeadReduction reduce = HeadReduction::mean;
};

/// "encoder-self", "decoder-self", "cross", "rnn".
inline const char* attention_kind_name(AttentionKind kind) { return nn::capture_kind_name(kind); }
/// Inverse of attention_kind_name (also accepts '_' for '-'); throws listing the names.
AttentionKind parse_attention_kind(const std::string& name);

/// Parses the four option values (formats in the file comment). Throws attend::Error naming the option and the
/// value it could not read.
AttentionSelector parse_selector(const std::string& kind, const std::string& layer, const std::string& head,
                                 const std::string& reduce);

/// Throws unless `kind` is one of `available` ("kind cross not available: this rnn-attention model has rnn").
void check_kind(AttentionKind kind, const std::vector<AttentionKind>& available, const std::string& model);

/// The layer indices and head indices `selector` picks out of `layers` x `heads`. Throws naming the limits when a
/// layer or head is out of range.
std::vector<int64_t> selected_layers(const AttentionSelector& selector, int64_t layers);
std::vector<int64_t> selected_heads(const AttentionSelector& selector, int64_t heads);

/// weights f32 [L, H, T, S]; rows T labels, columns S labels. Throws naming the shape when weights is not 4-D or the
/// labels do not match, and as selected_layers / selected_heads.
std::vector<Heatmap> select_heatmaps(const Tensor& weights, const AttentionSelector& selector,
                                     const std::vector<std::string>& rows, const std::vector<std::string>& columns);

/// The capture request of `selector` for a model whose kind has `layers` layers of `heads` heads: the selected
/// layers, the heads from the first to the last selected one. Throws as selected_layers / selected_heads.
nn::AttentionCapture capture_request(const AttentionSelector& selector, int64_t layers, int64_t heads);

/// `kept` f32 [L', h, T, S] holds exactly the layers and heads capture_request(selector, layers, heads) asked for;
/// the heatmaps are those select_heatmaps would give on the full [layers, heads, T, S] weights (same titles).
std::vector<Heatmap> captured_heatmaps(const Tensor& kept, const AttentionSelector& selector, int64_t layers,
                                       int64_t heads, const std::vector<std::string>& rows,
                                       const std::vector<std::string>& columns);

}  // namespace attend::explain
