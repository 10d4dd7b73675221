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

namespace {

// The member of `kind` in a struct with one member per kind (AttentionCapture, CapturedAttention), const or not.
template <class S>
auto& member_of(S& s, CaptureKind kind) {
  switch (kind) {
    case CaptureKind::encoder_self: return s.encoder_self;
    case CaptureKind::decoder_self: return s.decoder_self;
    case CaptureKind::cross: return s.cross;
    case CaptureKind::rnn: break;
  }
  return s.rnn;
}

}  // namespace

const LayerHeads& AttentionCapture::of(CaptureKind kind) const { return member_of(*this, kind); }
LayerHeads& AttentionCapture::of(CaptureKind kind) { return member_of(*this, kind); }

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

const std::vector<Tensor>& CapturedAttention::of(CaptureKind kind) const { return member_of(*this, kind); }
std::vector<Tensor>& CapturedAttention::of(CaptureKind kind) { return member_of(*this, kind); }

}  // namespace attend::nn
