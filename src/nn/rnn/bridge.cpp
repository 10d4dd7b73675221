// Bridge: the last encoder layer's final states, directions side by side, then zeros, a copy or tanh(linear).
#include "attend/nn/rnn/bridge.hpp"

#include "attend/core/error.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn {

namespace {

const BridgeOptions& checked(const BridgeOptions& o) {
  ATTEND_CHECK(o.encoder_hidden > 0, "Bridge: encoder_hidden must be positive, got {}", o.encoder_hidden);
  ATTEND_CHECK(o.encoder_layers > 0, "Bridge: encoder_layers must be positive, got {}", o.encoder_layers);
  ATTEND_CHECK(o.decoder_hidden > 0, "Bridge: decoder_hidden must be positive, got {}", o.decoder_hidden);
  const int64_t width = (o.bidirectional ? 2 : 1) * o.encoder_hidden;
  ATTEND_CHECK(o.kind != BridgeKind::copy || width == o.decoder_hidden,
               "Bridge: copy needs the encoder's final state width (directions × encoder_hidden = {}) to equal "
               "decoder_hidden ({}); use the linear bridge for different sizes", width, o.decoder_hidden);
  return o;
}

bool lstm_to_lstm(const BridgeOptions& o) { return o.encoder_cell == CellKind::lstm && o.decoder_cell == CellKind::lstm; }

}  // namespace

const char* bridge_kind_name(BridgeKind kind) {
  switch (kind) {
    case BridgeKind::zeros: return "zeros";
    case BridgeKind::copy: return "copy";
    case BridgeKind::linear: return "linear";
  }
  return "unknown";
}

BridgeKind parse_bridge_kind(const std::string& name) {
  if (name == "zeros") return BridgeKind::zeros;
  if (name == "copy") return BridgeKind::copy;
  if (name == "linear") return BridgeKind::linear;
  throw Error(fmt::format("parse_bridge_kind: unknown bridge '{}' (expected zeros, copy or linear)", name));
}

Bridge::Bridge(const BridgeOptions& options) : options_(checked(options)) {
  if (options_.kind != BridgeKind::linear) return;
  const int64_t width = (options_.bidirectional ? 2 : 1) * options_.encoder_hidden;
  linear_h_ = register_module("linear_h", std::make_shared<Linear>(LinearOptions{
                                              width, options_.decoder_hidden, true, options_.seed * 4 + 1}));
  if (lstm_to_lstm(options_)) {
    linear_c_ = register_module("linear_c", std::make_shared<Linear>(LinearOptions{
                                                width, options_.decoder_hidden, true, options_.seed * 4 + 2}));
  }
}

Var Bridge::last_layer(const Var& states, const char* what) const {
  const int64_t D = options_.bidirectional ? 2 : 1, L = options_.encoder_layers, He = options_.encoder_hidden;
  ATTEND_CHECK(states.defined() && states.dim() == 3 && states.size(0) == L * D && states.size(2) == He,
               "Bridge: {} must be [L·D, B, He] = [{}, B, {}], got shape {}", what, L * D, He,
               states.defined() ? shape_str(states.shape()) : std::string("undefined"));
  const int64_t B = states.size(1);
  const Var last = narrow(states, 0, (L - 1) * D, D);       // [D, B, He]
  return reshape(permute(last, {1, 0, 2}), {B, D * He});  // [B, D·He]
}

RecurrentState Bridge::forward(const Var& h_n, const Var& c_n) const {
  const Var h_last = last_layer(h_n, "h_n");  // [B, D·He]
  const int64_t B = h_last.size(0), H = options_.decoder_hidden;
  const bool lstm_decoder = options_.decoder_cell == CellKind::lstm;
  if (options_.encoder_cell == CellKind::lstm && options_.kind != BridgeKind::zeros && lstm_decoder) {
    ATTEND_CHECK(c_n.defined(), "Bridge: c_n is required from an lstm encoder (h_n shape {})", shape_str(h_n.shape()));
  }
  const Var zeros(Tensor::zeros({B, H}, h_last.dtype()));
  RecurrentState out;
  switch (options_.kind) {
    case BridgeKind::zeros:
      out.h = zeros;
      if (lstm_decoder) out.c = zeros;
      break;
    case BridgeKind::copy:
      out.h = h_last;
      if (lstm_decoder) out.c = lstm_to_lstm(options_) ? last_layer(c_n, "c_n") : zeros;
      break;
    case BridgeKind::linear:
      out.h = tanh(linear_h_->forward(h_last));  // [B, H]
      if (lstm_decoder) out.c = lstm_to_lstm(options_) ? tanh(linear_c_->forward(last_layer(c_n, "c_n"))) : zeros;
      break;
  }
  return out;
}

}  // namespace attend::nn
