#include "attend/nn/rnn/attention_decoder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

constexpr int64_t kE = 3, kH = 4, kDk = 5, kV = 6;

struct Config {
  CellKind cell = CellKind::gru;
  ScoreKind score = ScoreKind::additive;
  AttentionPlacement placement = AttentionPlacement::bahdanau;
  AttentionFusion fusion = AttentionFusion::concat;
  bool input_feeding = false;
  bool coverage = false;
};

AttentionDecoderOptions options_of(const Config& c, uint64_t seed = 3) {
  const bool dot = c.score == ScoreKind::dot || c.score == ScoreKind::scaled_dot;
  ScorerOptions s = scorer_of(c.score);
  if (c.score == ScoreKind::mlp) s.hidden = 7;
  return {.cell = c.cell,
          .input_size = kE,
          .hidden_size = kH,
          .memory_size = dot ? kH : kDk,
          .output_size = kV,
          .scorer = s,
          .placement = c.placement,
          .fusion = c.fusion,
          .input_feeding = c.input_feeding,
          .coverage = c.coverage,
          .seed = seed};
}

Var randn(const Shape& shape, uint64_t seed, DType dtype = DType::f32) {
  Rng rng(seed);
  return Var(Tensor::randn(shape, rng, dtype));
}

Tensor lengths(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())}); }

std::vector<std::string> names_of(const Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(name + " " + shape_str(p.shape()));
  return out;
}

TEST(AttentionDecoder, ParameterNamesAndShapesFollowTheOptions) {
  AttentionDecoder bahdanau(options_of({}));
  EXPECT_EQ(names_of(bahdanau),
            (std::vector<std::string>{"cell.weight_ih [12, 8]", "cell.weight_hh [12, 4]", "cell.bias_ih [12]",
                                      "cell.bias_hh [12]", "attn.linear_context.weight [5, 5]",
                                      "attn.linear_query.weight [5, 4]", "attn.linear_query.bias [5]",
                                      "attn.v.weight [1, 5]", "linear_out.weight [4, 9]", "linear_y.weight [6, 4]",
                                      "linear_y.bias [6]"}));
  // Luong with input feeding: the cell reads [x; h*] (no context); LSTM has 4 gates; weighted sum fusion.
  AttentionDecoder luong(options_of({.cell = CellKind::lstm,
                                     .score = ScoreKind::general,
                                     .placement = AttentionPlacement::luong,
                                     .fusion = AttentionFusion::weighted_sum,
                                     .input_feeding = true}));
  EXPECT_EQ(names_of(luong),
            (std::vector<std::string>{"cell.weight_ih [16, 7]", "cell.weight_hh [16, 4]", "cell.bias_ih [16]",
                                      "cell.bias_hh [16]", "attn.linear_in.weight [5, 4]", "linear_h.weight [4, 4]",
                                      "linear_c.weight [4, 5]", "linear_y.weight [6, 4]", "linear_y.bias [6]"}));
  AttentionDecoder gate(options_of({.cell = CellKind::rnn_tanh, .fusion = AttentionFusion::gate, .coverage = true}));
  EXPECT_EQ(names_of(gate),
            (std::vector<std::string>{"cell.weight_ih [4, 8]", "cell.weight_hh [4, 4]", "cell.bias_ih [4]",
                                      "cell.bias_hh [4]", "attn.linear_context.weight [5, 5]",
                                      "attn.linear_query.weight [5, 4]", "attn.linear_query.bias [5]",
                                      "attn.v.weight [1, 5]", "linear_cover.weight [5, 1]", "linear_gate.weight [4, 9]",
                                      "linear_c.weight [4, 5]", "linear_y.weight [6, 4]", "linear_y.bias [6]"}));
}

TEST(AttentionDecoder, ForwardShapesAndMaskedAttention) {
  AttentionDecoder dec(options_of({.coverage = true}));
  const AttentionDecoderOutput out = dec.forward(randn({2, 4, kE}, 1), randn({2, 5, kDk}, 2), lengths({5, 2}));
  EXPECT_EQ(out.logits.shape(), (Shape{2, 4, kV}));
  EXPECT_EQ(out.outputs.shape(), (Shape{2, 4, kH}));
  EXPECT_EQ(out.attention.shape(), (Shape{2, 4, 5}));
  EXPECT_EQ(out.coverage_loss.shape(), (Shape{2, 4}));
  EXPECT_EQ(out.state.cell.h.shape(), (Shape{2, kH}));
  EXPECT_EQ(out.state.coverage.shape(), (Shape{2, 5}));
  // Each step's weights sum to 1 over the kept keys; item 1 never looks past its 2 source positions.
  EXPECT_TRUE(all_close(sum(out.attention.value(), {2}), Tensor::ones({2, 4}), 1e-6));
  const Tensor item1 = out.attention.value().select(0, 1).narrow(1, 2, 3);
  EXPECT_TRUE(all_close(item1, Tensor::zeros({4, 3}), 0.0));
}

TEST(AttentionDecoder, StepByStepEqualsTeacherForcing) {
  const std::vector<Config> configs = {
      {},
      {.cell = CellKind::lstm, .placement = AttentionPlacement::luong, .fusion = AttentionFusion::weighted_sum},
      {.cell = CellKind::rnn_tanh, .score = ScoreKind::general, .fusion = AttentionFusion::gate,
       .input_feeding = true},
      {.cell = CellKind::lstm, .score = ScoreKind::dot, .placement = AttentionPlacement::luong, .input_feeding = true},
      {.cell = CellKind::gru, .score = ScoreKind::mlp, .placement = AttentionPlacement::luong,
       .fusion = AttentionFusion::gate},
      {.cell = CellKind::gru, .placement = AttentionPlacement::luong, .input_feeding = true, .coverage = true},
      {.cell = CellKind::lstm, .fusion = AttentionFusion::weighted_sum, .coverage = true},
  };
  for (size_t k = 0; k < configs.size(); ++k) {
    SCOPED_TRACE("config " + std::to_string(k));
    AttentionDecoder dec(options_of(configs[k]));
    const int64_t dk = dec.options().memory_size;
    const Var input = randn({3, 5, kE}, 10 + k), memory = randn({3, 4, dk}, 20 + k);
    const RecurrentState init{randn({3, kH}, 30 + k),
                              configs[k].cell == CellKind::lstm ? randn({3, kH}, 40 + k) : Var()};
    const AttentionDecoderOutput all = dec.forward(input, memory, lengths({4, 1, 3}), init);
    const AttentionDecoderMemory mem = dec.prepare(memory, lengths({4, 1, 3}));
    AttentionDecoderState s = dec.initial_state(mem, init);
    for (int64_t t = 0; t < 5; ++t) {
      const AttentionDecoderStep st = dec.step(select(input, 1, t), mem, s);
      EXPECT_TRUE(all_close(st.logits.value(), all.logits.value().select(1, t), 1e-6, 0.0)) << "t " << t;
      EXPECT_TRUE(all_close(st.attention.value(), all.attention.value().select(1, t), 1e-6, 0.0)) << "t " << t;
      if (configs[k].coverage) {
        EXPECT_TRUE(all_close(st.coverage_loss.value(), all.coverage_loss.value().select(1, t), 1e-6, 0.0));
      }
      s = st.state;
    }
    EXPECT_TRUE(all_close(s.cell.h.value(), all.state.cell.h.value(), 1e-6, 0.0));
    if (configs[k].cell == CellKind::lstm) {
      EXPECT_TRUE(all_close(s.cell.c.value(), all.state.cell.c.value(), 1e-6, 0.0));
    }
  }
}

TEST(AttentionDecoder, OneLuongStepByHand) {
  // rnn_tanh cell, dot score, weighted sum, H = Dk = E = 1: every quantity is a scalar formula.
  AttentionDecoder dec({.cell = CellKind::rnn_tanh,
                        .input_size = 1,
                        .hidden_size = 1,
                        .output_size = 1,
                        .scorer = scorer_of(ScoreKind::dot),
                        .placement = AttentionPlacement::luong,
                        .fusion = AttentionFusion::weighted_sum});
  auto scalar = [](float v) { return Tensor::from_vector<float>({v}, {1, 1}); };
  dec.load_state_dict({{"cell.weight_ih", scalar(0.5f)},
                       {"cell.weight_hh", scalar(-1.0f)},
                       {"cell.bias_ih", Tensor::from_vector<float>({0.1f}, {1})},
                       {"cell.bias_hh", Tensor::from_vector<float>({0.2f}, {1})},
                       {"linear_h.weight", scalar(2.0f)},
                       {"linear_c.weight", scalar(3.0f)},
                       {"linear_y.weight", scalar(-0.5f)},
                       {"linear_y.bias", Tensor::from_vector<float>({0.25f}, {1})}});
  const Var x(Tensor::from_vector<float>({0.8f}, {1, 1, 1}));
  const Var memory(Tensor::from_vector<float>({1.0f, -2.0f, 0.5f}, {1, 3, 1}));
  const Var h0(Tensor::from_vector<float>({0.3f}, {1, 1}));
  const AttentionDecoderOutput out = dec.forward(x, memory, Tensor(), {h0, Var()});
  const double h = std::tanh(0.5 * 0.8 + 0.1 - 1.0 * 0.3 + 0.2);
  const double e[3] = {std::exp(h * 1.0), std::exp(h * -2.0), std::exp(h * 0.5)};
  const double z = e[0] + e[1] + e[2];
  const double c = (e[0] * 1.0 + e[1] * -2.0 + e[2] * 0.5) / z;
  const double y = -0.5 * (2.0 * h + 3.0 * c) + 0.25;
  EXPECT_NEAR(out.logits.value().to_vector<float>()[0], y, 1e-6);
  EXPECT_NEAR(out.attention.value().to_vector<float>()[1], e[1] / z, 1e-6);
  EXPECT_NEAR(out.state.cell.h.value().to_vector<float>()[0], h, 1e-6);
}

TEST(AttentionDecoder, PaddedSourceGivesTheSameResultAsTheItemAlone) {
  for (AttentionPlacement p : {AttentionPlacement::bahdanau, AttentionPlacement::luong}) {
    AttentionDecoder dec(options_of({.placement = p, .input_feeding = true, .coverage = true}));
    const Var input = randn({1, 3, kE}, 5);
    const Var short_memory = randn({1, 2, kDk}, 6);
    // The same item padded to 4 positions with large garbage after its 2 real ones.
    const Var padded = concat({short_memory, mul(randn({1, 2, kDk}, 7), 100.0)}, 1);
    const AttentionDecoderOutput alone = dec.forward(input, short_memory);
    const AttentionDecoderOutput masked = dec.forward(input, padded, lengths({2}));
    EXPECT_TRUE(all_close(masked.logits.value(), alone.logits.value(), 1e-6));
    EXPECT_TRUE(all_close(masked.attention.value().narrow(2, 0, 2), alone.attention.value(), 1e-6));
    EXPECT_TRUE(all_close(masked.coverage_loss.value(), alone.coverage_loss.value(), 1e-6));
  }
}

TEST(AttentionDecoder, CoverageLossIsTheOverlapWithPastAttention) {
  AttentionDecoder dec(options_of({.coverage = true}));
  const AttentionDecoderOutput out = dec.forward(randn({2, 4, kE}, 8), randn({2, 3, kDk}, 9), lengths({3, 2}));
  const std::vector<float> a = out.attention.value().contiguous().to_vector<float>();  // [2, 4, 3]
  const std::vector<float> loss = out.coverage_loss.value().contiguous().to_vector<float>();
  for (int b = 0; b < 2; ++b) {
    double cov[3] = {0, 0, 0};
    for (int t = 0; t < 4; ++t) {
      double want = 0;
      for (int i = 0; i < 3; ++i) want += std::min<double>(a[(b * 4 + t) * 3 + i], cov[i]);
      EXPECT_NEAR(loss[b * 4 + t], want, 1e-6) << "b " << b << " t " << t;
      for (int i = 0; i < 3; ++i) cov[i] += a[(b * 4 + t) * 3 + i];
    }
  }
  EXPECT_EQ(loss[0], 0.0f);  // nothing was attended before the first step
  EXPECT_TRUE(all_close(out.state.coverage.value(), sum(out.attention.value(), {1}), 1e-6));
}

TEST(AttentionDecoder, CoverageChangesTheScores) {
  // The same weights with and without coverage differ from the second step on (w_cov · cov enters the scorer).
  AttentionDecoder with(options_of({.coverage = true}));
  AttentionDecoder without(options_of({}));
  auto state = with.state_dict();
  state.erase("linear_cover.weight");
  without.load_state_dict(state);
  const Var input = randn({1, 3, kE}, 11), memory = randn({1, 4, kDk}, 12);
  const Tensor a = with.forward(input, memory).attention.value(), b = without.forward(input, memory).attention.value();
  EXPECT_TRUE(all_close(a.narrow(1, 0, 1), b.narrow(1, 0, 1), 1e-7));
  EXPECT_FALSE(all_close(a.narrow(1, 1, 2), b.narrow(1, 1, 2), 1e-4));
}

TEST(AttentionDecoder, EveryParameterGetsAGradient) {
  for (AttentionFusion f : {AttentionFusion::concat, AttentionFusion::weighted_sum, AttentionFusion::gate}) {
    AttentionDecoder dec(options_of({.cell = CellKind::lstm, .fusion = f, .input_feeding = true, .coverage = true}));
    Var input = randn({2, 3, kE}, 13), memory = randn({2, 4, kDk}, 14);
    input.set_requires_grad(true);
    memory.set_requires_grad(true);
    const AttentionDecoderOutput out = dec.forward(input, memory, lengths({4, 3}));
    add(sum(mul(out.logits, out.logits)), sum(out.coverage_loss)).backward();
    for (const auto& [name, p] : dec.named_parameters()) {
      ASSERT_TRUE(p.grad().defined()) << name;
      EXPECT_GT(attend::sum(abs(p.grad())).item<float>(), 0.0f) << name;
    }
    EXPECT_GT(attend::sum(abs(memory.grad())).item<float>(), 0.0f);
  }
}

TEST(AttentionDecoder, ReorderPicksBatchEntriesOfMemoryAndState) {
  AttentionDecoder dec(options_of({.cell = CellKind::lstm, .input_feeding = true, .coverage = true}));
  const Var memory = randn({2, 3, kDk}, 15);
  const AttentionDecoderMemory mem = dec.prepare(memory, lengths({3, 2}));
  const AttentionDecoderStep first = dec.step(randn({2, kE}, 16), mem, dec.initial_state(mem));
  const Tensor idx = lengths({1, 1, 0});
  const AttentionDecoderMemory mem3 = AttentionDecoder::reorder(mem, idx);
  const AttentionDecoderState s3 = AttentionDecoder::reorder(first.state, idx);
  EXPECT_EQ(mem3.src_lengths.to_vector<int64_t>(), (std::vector<int64_t>{2, 2, 3}));
  // A step from the reordered state equals the reordered step from the original state.
  const Var x = randn({2, kE}, 17);
  const AttentionDecoderStep two = dec.step(x, mem, first.state);
  const AttentionDecoderStep three = dec.step(index_select(x, 0, idx), mem3, s3);
  EXPECT_TRUE(all_close(three.logits.value(), index_select(two.logits, 0, idx).value(), 1e-6));
  EXPECT_TRUE(all_close(three.state.coverage.value(), index_select(two.state.coverage, 0, idx).value(), 1e-6));
  EXPECT_TRUE(all_close(three.state.cell.c.value(), index_select(two.state.cell.c, 0, idx).value(), 1e-6));
  EXPECT_THAT(error_of([&] { AttentionDecoder::reorder(mem, Tensor::zeros({2}, DType::f32)); }),
              HasSubstr("reorder: indices must be i64 [N], got f32 with shape [2]"));
}

TEST(AttentionDecoder, OptionErrorsNameTheOption) {
  EXPECT_THAT(error_of([] { AttentionDecoder d(options_of({.score = ScoreKind::general, .coverage = true})); }),
              HasSubstr("coverage needs the additive scorer (w_cov · coverage is added to its key projection), got "
                        "scorer general"));
  EXPECT_THAT(error_of([] {
                AttentionDecoderOptions o = options_of({.score = ScoreKind::dot});
                o.memory_size = 6;
                AttentionDecoder d(o);
              }),
              HasSubstr("a dot scorer needs memory_size == hidden_size (got memory_size 6, hidden_size 4)"));
  EXPECT_THAT(error_of([] {
                AttentionDecoderOptions o = options_of({});
                o.cell = CellKind::augru;
                AttentionDecoder d(o);
              }),
              HasSubstr("cell must be rnn_tanh, rnn_relu, lstm or gru, got augru"));
  EXPECT_THAT(error_of([] {
                AttentionDecoderOptions o = options_of({});
                o.scorer.dim_key = 3;
                AttentionDecoder d(o);
              }),
              HasSubstr("scorer.dim_key must be 0 or memory_size (expected 5, got 3)"));
  EXPECT_THAT(error_of([] { AttentionDecoder d({.input_size = 0, .hidden_size = 4}); }),
              HasSubstr("input_size must be positive, got 0"));
  EXPECT_THAT(error_of([] { parse_fusion("sum"); }), HasSubstr("unknown attention fusion 'sum'"));
  EXPECT_THAT(error_of([] { parse_placement("vaswani"); }), HasSubstr("expected bahdanau or luong"));
}

TEST(AttentionDecoder, InputErrorsNameTheArgumentAndShapes) {
  AttentionDecoder dec(options_of({.cell = CellKind::lstm, .input_feeding = true}));
  const Var input = randn({2, 3, kE}, 1), memory = randn({2, 4, kDk}, 2);
  EXPECT_THAT(error_of([&] { dec.forward(input, randn({2, 4, 7}, 3)); }),
              HasSubstr("memory must be [B, Tk, 5] (memory_size 5), got shape [2, 4, 7]"));
  EXPECT_THAT(error_of([&] { dec.forward(randn({2, 3, 2}, 3), memory); }),
              HasSubstr("input must be [B, Tt, E] with B = 2 and E = input_size 3, got shape [2, 3, 2]; memory shape "
                        "[2, 4, 5]"));
  EXPECT_THAT(error_of([&] { dec.forward(input, memory, lengths({4, 5})); }),
              HasSubstr("src_lengths[1] = 5 is outside [1, Tk = 4]; src_lengths shape [2], memory shape [2, 4, 5]"));
  EXPECT_THAT(error_of([&] { dec.forward(input, memory, lengths({0, 2})); }),
              HasSubstr("src_lengths[0] = 0 is outside [1, Tk = 4]"));
  EXPECT_THAT(error_of([&] { dec.forward(input, memory, lengths({4, 2, 1})); }),
              HasSubstr("src_lengths must be i64 [B] = [2], got i64 with shape [3]; memory shape [2, 4, 5]"));
  EXPECT_THAT(error_of([&] { dec.forward(input, memory, Tensor(), {randn({2, 5}, 4), Var()}); }),
              HasSubstr("initial h must be [B, H] = [2, 4], got shape [2, 5]"));
  EXPECT_THAT(error_of([&] { dec.forward(input, memory, Tensor(), {randn({2, 4}, 4), randn({4}, 5)}); }),
              HasSubstr("initial c must be [B, H] = [2, 4], got shape [4]"));
  const AttentionDecoderMemory mem = dec.prepare(memory);
  AttentionDecoderState s = dec.initial_state(mem);
  EXPECT_THAT(error_of([&] { dec.step(randn({2, 3, kE}, 6), mem, s); }),
              HasSubstr("step input must be [B, E] = [2, 3] (input_size 3), got shape [2, 3, 3]"));
  s.feed = Var();
  EXPECT_THAT(error_of([&] { dec.step(randn({2, kE}, 6), mem, s); }),
              HasSubstr("state feed (h* of the previous step) must be [B, H] = [2, 4], got shape undefined"));
  AttentionDecoder gru(options_of({}));
  EXPECT_THAT(error_of([&] { gru.forward(input, memory, Tensor(), {randn({2, 4}, 4), randn({2, 4}, 5)}); }),
              HasSubstr("initial c is only used by an lstm cell, but the cell is gru; c shape [2, 4]"));
}

}  // namespace
}  // namespace attend::nn
