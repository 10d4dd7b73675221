// AttentionDecoder: the cell's input projection split into column blocks of cell.weight_ih (x, context, input feed),
// recurrent_step for the cell, attention() with the prepared keys, then the fusion and the output layer.
#include "attend/nn/rnn/attention_decoder.hpp"

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/weight_pack.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/indexing.hpp"

namespace attend::nn {

namespace {

constexpr const char* kOp = "AttentionDecoder";

std::string shape_of(const Var& x) { return x.defined() ? shape_str(x.shape()) : std::string("undefined"); }

// torch.nn.RNNCell / LSTMCell / GRUCell's parameters: weight_ih, weight_hh, bias_ih, bias_hh, U(-1/√H, 1/√H).
class CellParameters : public Module {
 public:
  CellParameters(int64_t gates, int64_t input, int64_t hidden, uint64_t seed) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
    const Shape shapes[] = {{gates, input}, {gates, hidden}, {gates}, {gates}};
    const char* names[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    for (int k = 0; k < 4; ++k) {
      Rng rng(seed, static_cast<uint64_t>(k));
      register_parameter(names[k], Tensor::uniform(shapes[k], rng, -bound, bound));
    }
  }
};

const AttentionDecoderOptions& checked(const AttentionDecoderOptions& o) {
  ATTEND_CHECK(o.cell == CellKind::rnn_tanh || o.cell == CellKind::rnn_relu || o.cell == CellKind::lstm ||
                   o.cell == CellKind::gru,
               "{}: cell must be rnn_tanh, rnn_relu, lstm or gru, got {}", kOp, cell_kind_name(o.cell));
  ATTEND_CHECK(o.input_size > 0, "{}: input_size must be positive, got {}", kOp, o.input_size);
  ATTEND_CHECK(o.hidden_size > 0, "{}: hidden_size must be positive, got {}", kOp, o.hidden_size);
  ATTEND_CHECK(o.memory_size >= 0, "{}: memory_size must be positive (or 0: hidden_size), got {}", kOp, o.memory_size);
  ATTEND_CHECK(o.output_size >= 0, "{}: output_size must be non-negative (0: no output layer), got {}", kOp,
               o.output_size);
  const int64_t dk = o.memory_size == 0 ? o.hidden_size : o.memory_size;
  ATTEND_CHECK(o.scorer.dim_query == 0 || o.scorer.dim_query == o.hidden_size,
               "{}: scorer.dim_query must be 0 or hidden_size (expected {}, got {})", kOp, o.hidden_size,
               o.scorer.dim_query);
  ATTEND_CHECK(o.scorer.dim_key == 0 || o.scorer.dim_key == dk,
               "{}: scorer.dim_key must be 0 or memory_size (expected {}, got {})", kOp, dk, o.scorer.dim_key);
  ATTEND_CHECK((o.scorer.kind != ScoreKind::dot && o.scorer.kind != ScoreKind::scaled_dot) || dk == o.hidden_size,
               "{}: a {} scorer needs memory_size == hidden_size (got memory_size {}, hidden_size {}); use general, "
               "additive or mlp for different widths", kOp, score_kind_name(o.scorer.kind), dk, o.hidden_size);
  ATTEND_CHECK(!o.coverage || o.scorer.kind == ScoreKind::additive,
               "{}: coverage needs the additive scorer (w_cov · coverage is added to its key projection), got scorer "
               "{}", kOp, score_kind_name(o.scorer.kind));
  return o;
}

AttentionDecoderOptions resolved(AttentionDecoderOptions o) {
  if (o.memory_size == 0) o.memory_size = o.hidden_size;
  o.scorer.dim_query = o.hidden_size;
  o.scorer.dim_key = o.memory_size;
  if (o.scorer.seed == 0) o.scorer.seed = o.seed * 16 + 1;
  return o;
}

std::shared_ptr<Linear> make_linear(int64_t in, int64_t out, bool bias, uint64_t seed) {
  return std::make_shared<Linear>(LinearOptions{.in_features = in, .out_features = out, .bias = bias, .seed = seed});
}

void check_matrix(const Var& x, const char* what, int64_t rows, int64_t cols, const char* layout, DType dtype) {
  ATTEND_CHECK(x.defined() && x.dim() == 2 && x.size(0) == rows && x.size(1) == cols,
               "{}: {} must be {} = [{}, {}], got shape {}", kOp, what, layout, rows, cols, shape_of(x));
  ATTEND_CHECK(x.dtype() == dtype, "{}: {} is {} but the memory is {}; {} shape {}", kOp, what, dtype_name(x.dtype()),
               dtype_name(dtype), what, shape_of(x));
}

Var pick(const Var& x, const Tensor& indices) { return x.defined() ? index_select(x, 0, indices) : x; }

void check_indices(const Tensor& indices) {
  ATTEND_CHECK(indices.defined() && indices.dtype() == DType::i64 && indices.dim() == 1,
               "{}::reorder: indices must be i64 [N], got {} with shape {}", kOp,
               indices.defined() ? dtype_name(indices.dtype()) : "undefined", shape_str(indices.shape()));
}

}  // namespace

const char* placement_name(AttentionPlacement placement) {
  return placement == AttentionPlacement::bahdanau ? "bahdanau" : "luong";
}

const char* fusion_name(AttentionFusion fusion) {
  switch (fusion) {
    case AttentionFusion::concat: return "concat";
    case AttentionFusion::weighted_sum: return "weighted_sum";
    case AttentionFusion::gate: return "gate";
  }
  return "unknown";
}

AttentionPlacement parse_placement(const std::string& name) {
  if (name == "bahdanau") return AttentionPlacement::bahdanau;
  if (name == "luong") return AttentionPlacement::luong;
  throw Error(fmt::format("parse_placement: unknown attention placement '{}' (expected bahdanau or luong)", name));
}

AttentionFusion parse_fusion(const std::string& name) {
  if (name == "concat") return AttentionFusion::concat;
  if (name == "weighted_sum") return AttentionFusion::weighted_sum;
  if (name == "gate") return AttentionFusion::gate;
  throw Error(fmt::format("parse_fusion: unknown attention fusion '{}' (expected concat, weighted_sum or gate)", name));
}

AttentionDecoder::AttentionDecoder(const AttentionDecoderOptions& options) : options_(resolved(checked(options))) {
  const AttentionDecoderOptions& o = options_;
  const int64_t H = o.hidden_size, Dk = o.memory_size, G = gate_count(o.cell);
  const int64_t cell_input = o.input_size + (o.placement == AttentionPlacement::bahdanau ? Dk : 0) +
                             (o.input_feeding ? H : 0);
  cell_ = register_module("cell", std::make_shared<CellParameters>(G * H, cell_input, H, o.seed * 16));
  const auto params = cell_->named_parameters();
  weight_ih_ = params[0].second;
  weight_hh_ = params[1].second;
  bias_ih_ = params[2].second;
  bias_hh_ = params[3].second;
  scorer_ = register_module("attn", make_scorer(o.scorer));
  if (o.coverage) {
    const auto* additive = dynamic_cast<const AdditiveScore*>(scorer_.get());
    ATTEND_ASSERT(additive != nullptr, "the additive scorer is not an AdditiveScore");
    linear_cover_ = register_module("linear_cover", make_linear(1, additive->hidden(), false, o.seed * 16 + 2));
  }
  switch (o.fusion) {
    case AttentionFusion::concat:
      linear_out_ = register_module("linear_out", make_linear(Dk + H, H, false, o.seed * 16 + 3));
      break;
    case AttentionFusion::weighted_sum:
      linear_h_ = register_module("linear_h", make_linear(H, H, false, o.seed * 16 + 4));
      linear_c_ = register_module("linear_c", make_linear(Dk, H, false, o.seed * 16 + 5));
      break;
    case AttentionFusion::gate:
      linear_gate_ = register_module("linear_gate", make_linear(Dk + H, H, false, o.seed * 16 + 6));
      linear_c_ = register_module("linear_c", make_linear(Dk, H, false, o.seed * 16 + 5));
      break;
  }
  if (o.output_size > 0) linear_y_ = register_module("linear_y", make_linear(H, o.output_size, true, o.seed * 16 + 7));
}

AttentionDecoderMemory AttentionDecoder::prepare(const Var& memory, const Tensor& src_lengths) const {
  const int64_t Dk = options_.memory_size;
  ATTEND_CHECK(memory.defined() && memory.dim() == 3 && memory.size(2) == Dk,
               "{}: memory must be [B, Tk, {}] (memory_size {}), got shape {}", kOp, Dk, Dk, shape_of(memory));
  const int64_t B = memory.size(0), Tk = memory.size(1);
  ATTEND_CHECK(Tk >= 1, "{}: memory must have at least one position, got shape {}", kOp, shape_of(memory));
  AttentionDecoderMemory out{.memory = memory, .keys = scorer_->prepare(memory), .src_lengths = src_lengths, .mask = {}};
  if (src_lengths.defined()) {
    ATTEND_CHECK(src_lengths.dtype() == DType::i64 && src_lengths.dim() == 1 && src_lengths.size(0) == B,
                 "{}: src_lengths must be i64 [B] = [{}], got {} with shape {}; memory shape {}", kOp, B,
                 dtype_name(src_lengths.dtype()), shape_str(src_lengths.shape()), shape_of(memory));
    const std::vector<int64_t> lengths = src_lengths.contiguous().to_vector<int64_t>();
    for (size_t b = 0; b < lengths.size(); ++b) {
      ATTEND_CHECK(lengths[b] >= 1 && lengths[b] <= Tk,
                   "{}: src_lengths[{}] = {} is outside [1, Tk = {}]; src_lengths shape {}, memory shape {}", kOp, b,
                   lengths[b], Tk, shape_str(src_lengths.shape()), shape_of(memory));
    }
    out.mask = AttentionMask::key_lengths(src_lengths);
    out.keys.lengths = src_lengths;  // the mask drops the padded keys: the scorer may skip them
  }
  return out;
}

AttentionDecoderState AttentionDecoder::initial_state(const AttentionDecoderMemory& memory,
                                                      const RecurrentState& initial) const {
  const int64_t B = memory.memory.size(0), Tk = memory.memory.size(1), H = options_.hidden_size;
  const DType dtype = memory.memory.dtype();
  AttentionDecoderState s;
  if (initial.h.defined()) check_matrix(initial.h, "initial h", B, H, "[B, H]", dtype);
  s.cell.h = initial.h.defined() ? initial.h : Var(Tensor::zeros({B, H}, dtype));
  if (options_.cell == CellKind::lstm) {
    if (initial.c.defined()) check_matrix(initial.c, "initial c", B, H, "[B, H]", dtype);
    s.cell.c = initial.c.defined() ? initial.c : Var(Tensor::zeros({B, H}, dtype));
  } else {
    ATTEND_CHECK(!initial.c.defined(), "{}: initial c is only used by an lstm cell, but the cell is {}; c shape {}", kOp,
                 cell_kind_name(options_.cell), shape_of(initial.c));
  }
  if (options_.input_feeding) s.feed = Var(Tensor::zeros({B, H}, dtype));
  if (options_.coverage) s.coverage = Var(Tensor::zeros({B, Tk}, dtype));
  return s;
}

void AttentionDecoder::check_state(const AttentionDecoderState& s, int64_t B, int64_t Tk) const {
  const int64_t H = options_.hidden_size;
  const DType dtype = s.cell.h.defined() ? s.cell.h.dtype() : DType::f32;
  check_matrix(s.cell.h, "state h", B, H, "[B, H]", dtype);
  if (options_.cell == CellKind::lstm) check_matrix(s.cell.c, "state c", B, H, "[B, H]", dtype);
  if (options_.input_feeding) check_matrix(s.feed, "state feed (h* of the previous step)", B, H, "[B, H]", dtype);
  if (options_.coverage) check_matrix(s.coverage, "state coverage", B, Tk, "[B, Tk]", dtype);
}

AttentionDecoder::Context AttentionDecoder::attend(const Var& query, const AttentionDecoderMemory& memory,
                                                   const Var& coverage) const {
  ScorerKeys keys = memory.keys;
  if (options_.coverage) {
    keys.projected = add(keys.projected, linear_cover_->forward(unsqueeze(coverage, 2)));  // [B, Tk, A]
  }
  const Var q = unsqueeze(query, 1);                                                         // [B, 1, H]
  const AttentionOutput a = attention(q, keys, memory.memory, memory.mask, *scorer_);         // [B, 1, Dk], [B, 1, Tk]
  Context out{.context = squeeze(a.context, 1), .weights = squeeze(a.weights, 1), .coverage_loss = Var()};  // [B, Dk]
  if (options_.coverage) {
    const Tensor smaller = lt(out.weights.value(), coverage.value());                     // u8 [B, Tk]
    out.coverage_loss = sum(where(smaller, out.weights, coverage), std::vector<int64_t>{1});  // [B]
  }
  return out;
}

Var AttentionDecoder::fuse(const Var& h, const Var& context) const {
  switch (options_.fusion) {
    case AttentionFusion::concat:
      return tanh(linear_out_->forward(concat({context, h}, -1)));  // [..., Dk + H] -> [..., H]
    case AttentionFusion::weighted_sum:
      return add(linear_h_->forward(h), linear_c_->forward(context));
    case AttentionFusion::gate: {
      const Var g = sigmoid(linear_gate_->forward(concat({context, h}, -1)));  // [..., H]
      const Var wc = linear_c_->forward(context);                               // [..., H]
      return add(wc, mul(g, sub(h, wc)));                                      // g⊙h + (1 − g)⊙wc
    }
  }
  ATTEND_ASSERT(false, "unknown AttentionFusion {}", static_cast<int>(options_.fusion));
}

AttentionDecoder::InputWeights AttentionDecoder::input_weights() const {
  const AttentionDecoderOptions& o = options_;
  const int64_t E = o.input_size, Dk = o.memory_size, H = o.hidden_size;
  const bool bahdanau = o.placement == AttentionPlacement::bahdanau;
  return {.context = bahdanau ? narrow(weight_ih_, 1, E, Dk) : Var(),
          .feed = o.input_feeding ? narrow(weight_ih_, 1, E + (bahdanau ? Dk : 0), H) : Var()};
}

AttentionDecoder::Advanced AttentionDecoder::advance(const Var& gx_input, const InputWeights& w,
                                                    const AttentionDecoderMemory& memory,
                                                    const AttentionDecoderState& state) const {
  const AttentionDecoderOptions& o = options_;
  const bool bahdanau = o.placement == AttentionPlacement::bahdanau;
  Var gx = gx_input;  // [B, G·H]
  Context a;
  if (bahdanau) {
    a = attend(state.cell.h, memory, state.coverage);
    gx = add(gx, linear(a.context, w.context));  // [B, Dk] -> [B, G·H]
  }
  if (o.input_feeding) gx = add(gx, linear(state.feed, w.feed));  // [B, H] -> [B, G·H]
  RecurrentState next = recurrent_step(o.cell, gx, state.cell, {weight_hh_, bias_hh_, Var()});
  if (!bahdanau) a = attend(next.h, memory, state.coverage);
  return {std::move(next), std::move(a)};
}

AttentionDecoderStep AttentionDecoder::step_projected(const Var& gx_input, const InputWeights& w,
                                                      const AttentionDecoderMemory& memory,
                                                      const AttentionDecoderState& state, bool with_logits) const {
  Advanced adv = advance(gx_input, w, memory, state);
  const Var h_star = fuse(adv.cell.h, adv.attended.context);  // [B, H]
  AttentionDecoderStep out;
  if (with_logits && linear_y_) out.logits = linear_y_->forward(h_star);  // [B, V]
  out.output = h_star;
  out.attention = adv.attended.weights;
  out.coverage_loss = adv.attended.coverage_loss;
  if (options_.input_feeding) out.state.feed = h_star;
  if (options_.coverage) out.state.coverage = add(state.coverage, adv.attended.weights);
  out.state.cell = std::move(adv.cell);
  return out;
}

AttentionDecoderStep AttentionDecoder::step(const Var& input, const AttentionDecoderMemory& memory,
                                            const AttentionDecoderState& state) const {
  const int64_t B = memory.memory.size(0), E = options_.input_size;
  ATTEND_CHECK(input.defined() && input.dim() == 2 && input.size(0) == B && input.size(1) == E,
               "{}: step input must be [B, E] = [{}, {}] (input_size {}), got shape {}; memory shape {}", kOp, B, E, E,
               shape_of(input), shape_of(memory.memory));
  check_state(state, B, memory.memory.size(1));
  return step_projected(linear(input, narrow(weight_ih_, 1, 0, E), bias_ih_), input_weights(), memory,
                        state);  // [B, G·H]
}

AttentionDecoderOutput AttentionDecoder::forward(const Var& input, const AttentionDecoderMemory& memory,
                                                 const AttentionDecoderState& state) const {
  const int64_t B = memory.memory.size(0), E = options_.input_size;
  ATTEND_CHECK(input.defined() && input.dim() == 3 && input.size(0) == B && input.size(2) == E,
               "{}: input must be [B, Tt, E] with B = {} and E = input_size {}, got shape {}; memory shape {}", kOp, B,
               E, shape_of(input), shape_of(memory.memory));
  const int64_t Tt = input.size(1);
  ATTEND_CHECK(Tt >= 1, "{}: input must have at least one step, got shape {}", kOp, shape_of(input));
  check_state(state, B, memory.memory.size(1));
  const WeightPackGuard packed;  // the steps' [B, ·] products pack each weight once (ops/weight_pack.hpp)
  // The input part of the cell's input projection for every step at once: one GEMM over B·Tt rows.
  const Var gx_all = linear(input, narrow(weight_ih_, 1, 0, E), bias_ih_);  // [B, Tt, G·H]
  std::vector<Var> outputs, weights, coverage_loss, states, contexts;
  const InputWeights w = input_weights();
  AttentionDecoderState s = state;
  AttentionDecoderOutput out;
  if (options_.input_feeding) {  // h*_t feeds step t + 1: fuse step by step; the output layer once over B·Tt rows
    for (int64_t t = 0; t < Tt; ++t) {
      AttentionDecoderStep st = step_projected(select(gx_all, 1, t), w, memory, s, /*with_logits=*/false);
      outputs.push_back(st.output);
      weights.push_back(st.attention);
      if (st.coverage_loss.defined()) coverage_loss.push_back(st.coverage_loss);
      s = std::move(st.state);
    }
    out.outputs = stack(outputs, 1);                                 // [B, Tt, H]
    if (linear_y_) out.logits = linear_y_->forward(out.outputs);  // [B, Tt, V]
  } else {  // nothing recurrent depends on h*: the fusion and the output layer run once over all B·Tt rows
    for (int64_t t = 0; t < Tt; ++t) {
      Advanced adv = advance(select(gx_all, 1, t), w, memory, s);
      states.push_back(adv.cell.h);
      contexts.push_back(adv.attended.context);
      weights.push_back(adv.attended.weights);
      if (adv.attended.coverage_loss.defined()) coverage_loss.push_back(adv.attended.coverage_loss);
      if (options_.coverage) s.coverage = add(s.coverage, adv.attended.weights);
      s.cell = std::move(adv.cell);
    }
    out.outputs = fuse(stack(states, 1), stack(contexts, 1));                // [B, Tt, H]
    if (linear_y_) out.logits = linear_y_->forward(out.outputs);             // [B, Tt, V]
  }
  out.attention = stack(weights, 1);                                       // [B, Tt, Tk]
  if (!coverage_loss.empty()) out.coverage_loss = stack(coverage_loss, 1);  // [B, Tt]
  out.state = std::move(s);
  return out;
}

AttentionDecoderOutput AttentionDecoder::forward(const Var& input, const Var& memory, const Tensor& src_lengths,
                                                 const RecurrentState& initial) const {
  const AttentionDecoderMemory prepared = prepare(memory, src_lengths);
  return forward(input, prepared, initial_state(prepared, initial));
}

AttentionDecoderMemory AttentionDecoder::reorder(const AttentionDecoderMemory& memory, const Tensor& indices) {
  check_indices(indices);
  AttentionDecoderMemory out;
  out.memory = pick(memory.memory, indices);
  // The keys are usually the memory itself: pick them once.
  const bool same = memory.keys.keys.defined() && memory.keys.keys.id() == memory.memory.id();
  out.keys = {same ? out.memory : pick(memory.keys.keys, indices), pick(memory.keys.projected, indices), Tensor()};
  if (memory.src_lengths.defined()) {
    out.src_lengths = index_select(memory.src_lengths, 0, indices);
    out.mask = AttentionMask::key_lengths(out.src_lengths);
    if (memory.keys.lengths.defined()) out.keys.lengths = out.src_lengths;
  }
  return out;
}

AttentionDecoderState AttentionDecoder::reorder(const AttentionDecoderState& state, const Tensor& indices) {
  check_indices(indices);
  return {.cell = {pick(state.cell.h, indices), pick(state.cell.c, indices)},
          .feed = pick(state.feed, indices),
          .coverage = pick(state.coverage, indices)};
}

}  // namespace attend::nn
