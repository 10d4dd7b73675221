// Attention capture requests and kept weights (see the header).
#include "attend/nn/attention/capture.hpp"

#include <fmt/core.h>

#include "attend/core/error.hpp"

namespace attend::nn {

const char* capture_kind_name(CaptureKind kind) {
  switch (kind) {
    case CaptureKind::encoder_self: return "encoder-self";
    case CaptureKind::decoder_self: return "decoder-self";
    case CaptureKind::cross: return "cross";
    case CaptureKind::rnn: return "rnn";
  }
  return "?";
}

HeadRange LayerHeads::of_layer(int64_t layer) const {
  for (int64_t l : layers) {
    if (l == layer) return heads;
  }
  return {};
}

const LayerHeads& AttentionCapture::of(CaptureKind kind) const {
  switch (kind) {
    case CaptureKind::encoder_self: return encoder_self;
    case CaptureKind::decoder_self: return decoder_self;
    case CaptureKind::cross: return cross;
    case CaptureKind::rnn: break;
  }
  return rnn;
}

LayerHeads& AttentionCapture::of(CaptureKind kind) {
  return const_cast<LayerHeads&>(static_cast<const AttentionCapture&>(*this).of(kind));
}

void AttentionCapture::check(const char* model, CaptureKind kind, int64_t layers, int64_t heads) const {
  const LayerHeads& s = of(kind);
  if (s.empty()) return;
  const char* name = capture_kind_name(kind);
  ATTEND_CHECK(layers > 0, "{}: capture of {} attention: the model has none", model, name);
  for (size_t i = 0; i < s.layers.size(); ++i) {
    const int64_t l = s.layers[i];
    ATTEND_CHECK(l >= 0 && l < layers, "{}: capture of {} layer {}: the model has {} layer{} (0..{})", model, name, l,
                 layers, layers == 1 ? "" : "s", layers - 1);
    ATTEND_CHECK(i == 0 || s.layers[i - 1] < l, "{}: capture of {}: layers must be increasing, got {} after {}", model,
                 name, l, s.layers[i - 1]);
  }
  ATTEND_CHECK(s.heads.begin >= 0 && s.heads.end <= heads,
               "{}: capture of {} heads [{}, {}): the attention has {} head{} (0..{})", model, name, s.heads.begin,
               s.heads.end, heads, heads == 1 ? "" : "s", heads - 1);
}

const std::vector<Tensor>& CapturedAttention::of(CaptureKind kind) const {
  switch (kind) {
    case CaptureKind::encoder_self: return encoder_self;
    case CaptureKind::decoder_self: return decoder_self;
    case CaptureKind::cross: return cross;
    case CaptureKind::rnn: break;
  }
  return rnn;
}

std::vector<Tensor>& CapturedAttention::of(CaptureKind kind) {
  return const_cast<std::vector<Tensor>&>(static_cast<const CapturedAttention&>(*this).of(kind));
}

}  // namespace attend::nn
