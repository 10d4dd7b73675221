// Gradcheck rows for the attention decoder and the RNN seq2seq model: full backpropagation through time, through
// the attention weights, into every parameter (f64 central differences, tiny sizes).
#include "attend/nn/rnn/attention_decoder.hpp"
#include "attend/nn/rnn/seq2seq.hpp"
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
using nn::AttentionDecoder;
using nn::AttentionFusion;
using nn::AttentionPlacement;
using nn::CellKind;
using nn::ScoreKind;
using nn::Seq2Seq;

Tensor i64(std::vector<int64_t> v, Shape shape) { return Tensor::from_vector<int64_t>(v, shape); }

// Logits, then (with coverage) the coverage loss, flattened into one output so both get a cotangent.
Var with_coverage(const Var& logits, const Var& coverage_loss) {
  if (!coverage_loss.defined()) return logits;
  return concat({reshape(logits, {-1}), reshape(coverage_loss, {-1})}, 0);  // [B·Tt·V + B·Tt]
}

// --- nn.AttentionDecoder: input [2, 2, 3] (E 3), memory [2, 3, 3] (Tk 3, Dk 3), lengths {3, 2}, H 3, V 5. ---

struct DecoderRow {
  std::string label;
  CellKind cell;
  ScoreKind score;
  AttentionPlacement placement;
  AttentionFusion fusion;
  bool input_feeding = false;
  bool coverage = false;
};

GradcheckCase decoder_row(const DecoderRow& r) {
  auto make = [r] {
    nn::ScorerOptions s = nn::scorer_of(r.score);
    if (r.score == ScoreKind::mlp) s.hidden = 2;
    return std::make_shared<AttentionDecoder>(nn::AttentionDecoderOptions{.cell = r.cell,
                                                                          .input_size = 3,
                                                                          .hidden_size = 3,
                                                                          .memory_size = 3,
                                                                          .output_size = 5,
                                                                          .scorer = s,
                                                                          .placement = r.placement,
                                                                          .fusion = r.fusion,
                                                                          .input_feeding = r.input_feeding,
                                                                          .coverage = r.coverage,
                                                                          .seed = 5});
  };
  const bool lstm = r.cell == CellKind::lstm;
  std::vector<Shape> shapes = {{2, 2, 3}, {2, 3, 3}, {2, 3}};
  if (lstm) shapes.push_back({2, 3});
  return module_row<AttentionDecoder>(
      "nn.AttentionDecoder", shapes, make,
      [lstm](AttentionDecoder& d, const X& x) {
        const nn::AttentionDecoderOutput out =
            d.forward(x[0], x[1], i64({3, 2}, {2}), {x[2], lstm ? x[3] : Var()});
        return with_coverage(out.logits, out.coverage_loss);
      },
      r.label);
}

// --- nn.Seq2Seq: vocab 5, embedding 3, hidden 3, Ts 3 (lengths {3, 2}), Tt 2, bidirectional 1-layer encoder. ---

struct Seq2SeqRow {
  std::string label;
  CellKind cell;
  AttentionPlacement placement;
  AttentionFusion fusion;
  bool input_feeding = false;
  bool coverage = false;
  nn::BridgeKind bridge = nn::BridgeKind::linear;
};

GradcheckCase seq2seq_row(const Seq2SeqRow& r) {
  auto make = [r] {
    return std::make_shared<Seq2Seq>(nn::Seq2SeqOptions{.src_vocab_size = 5,
                                                        .tgt_vocab_size = 5,
                                                        .embedding_dim = 3,
                                                        .hidden_size = 3,
                                                        .cell = r.cell,
                                                        .placement = r.placement,
                                                        .fusion = r.fusion,
                                                        .input_feeding = r.input_feeding,
                                                        .coverage = r.coverage,
                                                        .bridge = r.bridge,
                                                        .seed = 11});
  };
  return module_row<Seq2Seq>(
      "nn.Seq2Seq", {}, make,
      [](Seq2Seq& m, const X&) {
        const Tensor src = i64({1, 3, 4, 2, 4, 0}, {2, 3});  // item 1: two tokens, then padding (id 0)
        const Tensor tgt_in = i64({1, 2, 1, 3}, {2, 2});
        const nn::Seq2SeqOutput out = m.forward(src, i64({3, 2}, {2}), tgt_in);
        return with_coverage(out.logits, out.coverage_loss);
      },
      r.label);
}

std::vector<GradcheckCase> rows() {
  using P = AttentionPlacement;
  using F = AttentionFusion;
  std::vector<GradcheckCase> out;
  const std::vector<DecoderRow> decoders = {
      {"bahdanau_concat_gru_additive", CellKind::gru, ScoreKind::additive, P::bahdanau, F::concat},
      {"bahdanau_weighted_sum_gru_general", CellKind::gru, ScoreKind::general, P::bahdanau, F::weighted_sum},
      {"bahdanau_gate_lstm_mlp", CellKind::lstm, ScoreKind::mlp, P::bahdanau, F::gate},
      {"luong_concat_lstm_dot", CellKind::lstm, ScoreKind::dot, P::luong, F::concat},
      {"luong_weighted_sum_rnn_tanh_scaled_dot", CellKind::rnn_tanh, ScoreKind::scaled_dot, P::luong,
       F::weighted_sum},
      {"luong_gate_gru_additive", CellKind::gru, ScoreKind::additive, P::luong, F::gate},
      {"input_feeding_luong_gru_general", CellKind::gru, ScoreKind::general, P::luong, F::concat, true},
      {"input_feeding_bahdanau_lstm_additive", CellKind::lstm, ScoreKind::additive, P::bahdanau, F::gate, true},
      {"coverage_bahdanau_gru", CellKind::gru, ScoreKind::additive, P::bahdanau, F::concat, false, true},
      {"coverage_luong_lstm_input_feeding", CellKind::lstm, ScoreKind::additive, P::luong, F::weighted_sum, true,
       true},
  };
  for (const DecoderRow& r : decoders) out.push_back(decoder_row(r));
  const std::vector<Seq2SeqRow> models = {
      {"bahdanau_concat_gru", CellKind::gru, P::bahdanau, F::concat},
      {"bahdanau_weighted_sum_gru", CellKind::gru, P::bahdanau, F::weighted_sum},
      {"bahdanau_gate_lstm", CellKind::lstm, P::bahdanau, F::gate},
      {"luong_concat_lstm", CellKind::lstm, P::luong, F::concat},
      {"luong_weighted_sum_gru", CellKind::gru, P::luong, F::weighted_sum},
      {"luong_gate_gru", CellKind::gru, P::luong, F::gate},
      {"input_feeding_luong_gru", CellKind::gru, P::luong, F::concat, true},
      {"coverage_bahdanau_gru", CellKind::gru, P::bahdanau, F::concat, false, true},
      {"zeros_bridge_rnn_tanh", CellKind::rnn_tanh, P::bahdanau, F::concat, false, false, nn::BridgeKind::zeros},
  };
  for (const Seq2SeqRow& r : models) out.push_back(seq2seq_row(r));
  return out;
}

ATTEND_GRADCHECK_CASES(rows());

}  // namespace
}  // namespace attend::testing
