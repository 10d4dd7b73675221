#include "attend/nn/rnn/recurrent_cell.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attend/ops/linear_algebra.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

// A plain-loop reference of one step, in double, written from the equations in recurrent_cell.hpp.
struct RefState {
  std::vector<double> h, c;
};

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

RefState reference_step(CellKind kind, const Tensor& gx_t, const Tensor& h_t, const Tensor& c_t, const Tensor& w_hh,
                        const Tensor& b_hh, const Tensor& w_hr, const Tensor& a_t) {
  const int64_t batch = gx_t.size(0), gates = gate_count(kind), hid = gx_t.size(1) / gates, out = w_hh.size(1);
  const auto gx = gx_t.to_vector<double>(), h = h_t.to_vector<double>(), w = w_hh.to_vector<double>();
  const auto b = b_hh.defined() ? b_hh.to_vector<double>() : std::vector<double>(gates * hid, 0.0);
  RefState r{std::vector<double>(batch * out), std::vector<double>(batch * hid)};
  for (int64_t n = 0; n < batch; ++n) {
    std::vector<double> gh(gates * hid);
    for (int64_t j = 0; j < gates * hid; ++j) {
      double s = b[j];
      for (int64_t k = 0; k < out; ++k) s += w[j * out + k] * h[n * out + k];
      gh[j] = s;
    }
    auto x = [&](int64_t gate, int64_t j) { return gx[n * gates * hid + gate * hid + j]; };
    std::vector<double> hn(hid);
    for (int64_t j = 0; j < hid; ++j) {
      switch (kind) {
        case CellKind::rnn_tanh: hn[j] = std::tanh(x(0, j) + gh[j]); break;
        case CellKind::rnn_relu: hn[j] = std::max(0.0, x(0, j) + gh[j]); break;
        case CellKind::lstm: {
          const double i = sig(x(0, j) + gh[j]), f = sig(x(1, j) + gh[hid + j]);
          const double g = std::tanh(x(2, j) + gh[2 * hid + j]), o = sig(x(3, j) + gh[3 * hid + j]);
          const double c = f * c_t.at({n, j}) + i * g;
          r.c[n * hid + j] = c;
          hn[j] = o * std::tanh(c);
          break;
        }
        case CellKind::gru:
        case CellKind::augru: {
          const double rr = sig(x(0, j) + gh[j]), z = sig(x(1, j) + gh[hid + j]);
          const double nn = std::tanh(x(2, j) + rr * gh[2 * hid + j]), hj = h[n * out + j];  // out == hid here
          if (kind == CellKind::gru) {
            hn[j] = (1 - z) * nn + z * hj;
          } else {
            const double u = a_t.at({n}) * (1 - z);
            hn[j] = (1 - u) * hj + u * nn;
          }
          break;
        }
      }
    }
    for (int64_t k = 0; k < out; ++k) {
      if (!w_hr.defined()) {
        r.h[n * out + k] = hn[k];
        continue;
      }
      double s = 0;
      for (int64_t j = 0; j < hid; ++j) s += w_hr.at({k, j}) * hn[j];
      r.h[n * out + k] = s;
    }
  }
  return r;
}

struct StepCase {
  CellKind kind;
  int64_t proj = 0;
  bool bias = true;
};

void PrintTo(const StepCase& c, std::ostream* os) {
  *os << cell_kind_name(c.kind) << " proj " << c.proj << (c.bias ? "" : " no bias");
}

class RecurrentStepEquations : public ::testing::TestWithParam<StepCase> {};

TEST_P(RecurrentStepEquations, MatchThePlainLoopReference) {
  const StepCase p = GetParam();
  const int64_t batch = 3, hid = 4, gates = gate_count(p.kind), out = p.proj > 0 ? p.proj : hid;
  Rng rng(11);
  const Tensor gx = Tensor::randn({batch, gates * hid}, rng, DType::f64);
  const Tensor h = Tensor::randn({batch, out}, rng, DType::f64);
  const Tensor c = Tensor::randn({batch, hid}, rng, DType::f64);
  const Tensor w_hh = Tensor::randn({gates * hid, out}, rng, DType::f64, 0.0, 0.5);
  const Tensor b_hh = p.bias ? Tensor::randn({gates * hid}, rng, DType::f64) : Tensor();
  const Tensor w_hr = p.proj > 0 ? Tensor::randn({out, hid}, rng, DType::f64) : Tensor();
  const Tensor a = Tensor::from_vector<double>({0.0, 0.3, 1.0}, {batch});
  const bool lstm = p.kind == CellKind::lstm, augru = p.kind == CellKind::augru;
  const StepWeights w{.weight_hh = Var(w_hh),
                      .bias_hh = p.bias ? Var(b_hh) : Var(),
                      .weight_hr = p.proj > 0 ? Var(w_hr) : Var()};
  const RecurrentState state{Var(h), lstm ? Var(c) : Var()};
  const RecurrentState next = recurrent_step(p.kind, Var(gx), state, w, augru ? Var(a) : Var());
  const RefState want = reference_step(p.kind, gx, h, c, w_hh, b_hh, w_hr, a);
  EXPECT_TRUE(all_close(next.h.value(), Tensor::from_vector(want.h, {batch, out}), 1e-12, 1e-12));
  ASSERT_EQ(next.c.defined(), lstm);
  if (lstm) {
    EXPECT_TRUE(all_close(next.c.value(), Tensor::from_vector(want.c, {batch, hid}), 1e-12, 1e-12));
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKind, RecurrentStepEquations,
                         ::testing::Values(StepCase{CellKind::rnn_tanh}, StepCase{CellKind::rnn_relu},
                                           StepCase{CellKind::lstm}, StepCase{CellKind::lstm, 2},
                                           StepCase{CellKind::gru}, StepCase{CellKind::gru, 0, false},
                                           StepCase{CellKind::augru}),
                         [](const ::testing::TestParamInfo<StepCase>& row) {
                           return std::string(cell_kind_name(row.param.kind)) +
                                  (row.param.proj > 0 ? "_proj" : "") + (row.param.bias ? "" : "_nobias");
                         });

TEST(RecurrentStep, AugruWithAttentionZeroKeepsTheStateAndOneIsTheGru) {
  Rng rng(3);
  const Var gx(Tensor::randn({2, 9}, rng)), h(Tensor::randn({2, 3}, rng));
  const StepWeights w{.weight_hh = Var(Tensor::randn({9, 3}, rng)), .bias_hh = Var(Tensor::randn({9}, rng)),
                      .weight_hr = Var()};
  const Var zero = recurrent_step(CellKind::augru, gx, {h, Var()}, w, Var(Tensor::zeros({2}))).h;
  EXPECT_TRUE(attend::testing::bitwise_equal(zero.value(), h.value()));
  const Var one = recurrent_step(CellKind::augru, gx, {h, Var()}, w, Var(Tensor::ones({2, 1}))).h;
  const Var gru = recurrent_step(CellKind::gru, gx, {h, Var()}, w).h;
  EXPECT_TRUE(all_close(one.value(), gru.value(), 1e-6, 1e-6));
}

TEST(RecurrentStep, GradientsReachEveryOperand) {
  Rng rng(5);
  const Var gx(Tensor::randn({2, 8}, rng), true), h(Tensor::randn({2, 2}, rng), true);
  const Var c(Tensor::randn({2, 2}, rng), true);
  const Var w(Tensor::randn({8, 2}, rng), true), b(Tensor::randn({8}, rng), true);
  const RecurrentState s =
      recurrent_step(CellKind::lstm, gx, {h, c}, {.weight_hh = w, .bias_hh = b, .weight_hr = Var()});
  Var(s.h).backward(Tensor::ones({2, 2}));
  for (const Var* v : {&gx, &h, &w, &b}) EXPECT_TRUE(v->grad().defined());
  EXPECT_TRUE(c.grad().defined());  // through f ⊙ c into h
}

TEST(RecurrentStep, KindNamesRoundTripAndUnknownNamesAreListed) {
  for (CellKind k : {CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::lstm, CellKind::gru, CellKind::augru}) {
    EXPECT_EQ(parse_cell_kind(cell_kind_name(k)), k);
  }
  EXPECT_EQ(parse_cell_kind("rnn"), CellKind::rnn_tanh);
  EXPECT_EQ(gate_count(CellKind::lstm), 4);
  EXPECT_EQ(gate_count(CellKind::gru), 3);
  EXPECT_EQ(gate_count(CellKind::rnn_relu), 1);
  EXPECT_THAT(error_of([] { parse_cell_kind("lstmm"); }), HasSubstr("\"lstmm\" (expected rnn, rnn_tanh"));
}

TEST(RecurrentStep, ErrorsNameTheArgumentAndShapes) {
  const Var w(Tensor::zeros({12, 3})), h(Tensor::zeros({2, 3})), c(Tensor::zeros({2, 3}));
  const StepWeights sw{.weight_hh = w, .bias_hh = Var(), .weight_hr = Var()};
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::lstm, Var(Tensor::zeros({2, 9})), {h, c}, sw); }),
              HasSubstr("gx must be [B, 12] (G·H with G = 4, H = 3); gx shape [2, 9]"));
  const Var gx12(Tensor::zeros({2, 12}));
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::lstm, gx12, {Var(Tensor::zeros({3, 3})), c}, sw); }),
              HasSubstr("h must be [B, H_out] = [2, 3]; h shape [3, 3]"));
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::lstm, gx12, {h, Var()}, sw); }),
              HasSubstr("c must be [B, H] = [2, 3]; c shape (undefined)"));
  const StepWeights w10{.weight_hh = Var(Tensor::zeros({10, 3})), .bias_hh = Var(), .weight_hr = Var()};
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::gru, Var(Tensor::zeros({2, 9})), {h, Var()}, w10); }),
              HasSubstr("weight_hh must be [3·H, H_out]; weight_hh shape [10, 3]"));
  const StepWeights gw{.weight_hh = Var(Tensor::zeros({9, 3})), .bias_hh = Var(Tensor::zeros({8})), .weight_hr = Var()};
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::gru, Var(Tensor::zeros({2, 9})), {h, Var()}, gw); }),
              HasSubstr("bias_hh must be [9]; bias_hh shape [8]"));
  const StepWeights ok{.weight_hh = Var(Tensor::zeros({9, 3})), .bias_hh = Var(), .weight_hr = Var()};
  const Var gx9(Tensor::zeros({2, 9}));
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::augru, gx9, {h, Var()}, ok); }),
              HasSubstr("attention must be [B] or [B, 1] with B = 2; attention shape (undefined)"));
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::augru, gx9, {h, Var()}, ok, Var(Tensor::zeros({3}))); }),
              HasSubstr("attention shape [3]"));
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::gru, gx9, {h, Var()}, ok, Var(Tensor::zeros({2}))); }),
              HasSubstr("attention is only for augru; attention shape [2]"));
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::gru, gx9, {h, c}, ok); }),
              HasSubstr("c is only for lstm, got c shape [2, 3]"));
  const StepWeights hr{
      .weight_hh = Var(Tensor::zeros({9, 3})), .bias_hh = Var(), .weight_hr = Var(Tensor::zeros({3, 3}))};
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::gru, gx9, {h, Var()}, hr); }),
              HasSubstr("weight_hr (proj_size) is only for lstm; shape [3, 3]"));
  const StepWeights bad_hr{
      .weight_hh = Var(Tensor::zeros({16, 2})), .bias_hh = Var(), .weight_hr = Var(Tensor::zeros({2, 5}))};
  const RecurrentState s24{Var(Tensor::zeros({2, 2})), Var(Tensor::zeros({2, 4}))};
  EXPECT_THAT(error_of([&] { recurrent_step(CellKind::lstm, Var(Tensor::zeros({2, 16})), s24, bad_hr); }),
              HasSubstr("weight_hr must be [H_out, H] = [2, 4]; weight_hr shape [2, 5]"));
}

}  // namespace
}  // namespace attend::nn
