// Attention capture: which attention weights a model keeps for interpretability (a request), and the kept weights.
// The one vocabulary of both model families: a Transformer has the kinds encoder_self, decoder_self and cross (L
// layers of H heads each), an RNN-attention model the one kind rnn (1 layer, 1 head). explain/selector.hpp turns the
// `--kind --layer --head` of `attend explain` into a request; Transformer::forward / start / step and the search
// (decode/search.hpp) fill the weights. Nothing is computed or stored for a kind that is not asked for.
//
// Shapes of the kept weights, one tensor per selected layer (in the order of LayerHeads::layers), h = the selected
// heads: teacher forcing [B, h, Tq, Tk]; one decoding step [N, h, Tk] (the new token's row); one hypothesis
// [h, T, Tk] (decoder_self [h, T, T], zero above the diagonal; cross and rnn [h, T, Ts_i]; encoder_self
// [h, Ts_i, Ts_i]).
//
// Usage:
//   AttentionCapture capture;
//   capture.cross = {.layers = {0, 5}, .heads = {0, 2}};          // layers 0 and 5, heads 0 and 1
//   auto out = transformer.forward(src, src_lengths, tgt_in, capture);
//   out.captured.cross[1]                                          // layer 5: [B, 2, Tt, Ts]
#pragma once

#include <cstdint>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend::nn {

enum class CaptureKind { encoder_self, decoder_self, cross, rnn };

/// "encoder-self", "decoder-self", "cross", "rnn".
const char* capture_kind_name(CaptureKind kind);

/// Heads [begin, end) (query heads, 0-based); empty when end <= begin.
struct HeadRange {
  int64_t begin = 0;
  int64_t end = 0;
  bool empty() const { return end <= begin; }
  int64_t size() const { return empty() ? 0 : end - begin; }
};

/// One kind's selection: the layers to keep (0-based, increasing, distinct) and the heads of each.
struct LayerHeads {
  std::vector<int64_t> layers = {};
  HeadRange heads = {};
  bool empty() const { return layers.empty() || heads.empty(); }
  /// `heads` when `layer` is selected, else an empty range (what a layer is asked to keep).
  HeadRange of_layer(int64_t layer) const;
};

struct AttentionCapture {
  LayerHeads encoder_self = {}, decoder_self = {}, cross = {}, rnn = {};
  bool empty() const { return encoder_self.empty() && decoder_self.empty() && cross.empty() && rnn.empty(); }
  const LayerHeads& of(CaptureKind kind) const;
  LayerHeads& of(CaptureKind kind);
  /// Throws naming `model`, the kind and the limits when `kind` asks for a layer outside [0, layers) or heads
  /// outside [0, heads) or its layers are not increasing ("Transformer: capture of cross layer 7: the model has 6
  /// layers (0..5)"); layers = 0: the model has no such kind, any request of it throws.
  void check(const char* model, CaptureKind kind, int64_t layers, int64_t heads) const;
};

/// Kept weights per kind, one f32 tensor per selected layer (see the file comment for the shapes).
struct CapturedAttention {
  std::vector<Tensor> encoder_self = {}, decoder_self = {}, cross = {}, rnn = {};
  const std::vector<Tensor>& of(CaptureKind kind) const;
  std::vector<Tensor>& of(CaptureKind kind);
  bool empty() const {
    return encoder_self.empty() && decoder_self.empty() && cross.empty() && rnn.empty();
  }
};

/// The kinds in a fixed order (encoder_self, decoder_self, cross, rnn), for loops over all of them.
inline constexpr CaptureKind kCaptureKinds[] = {CaptureKind::encoder_self, CaptureKind::decoder_self,
                                                CaptureKind::cross, CaptureKind::rnn};

}  // namespace attend::nn
