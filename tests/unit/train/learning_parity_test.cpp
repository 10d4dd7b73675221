// Learning parity: attend's Seq2Seq, from PyTorch's initial weights and on the same 50 batches, follows PyTorch's
// loss curve under cross entropy + Adam (fixtures and the PyTorch model: scripts/learning_parity.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attend/io/safetensors.hpp"
#include "attend/nn/rnn/seq2seq.hpp"
#include "attend/ops/loss.hpp"
#include "attend/optim/adam.hpp"
#include "test_util.hpp"

namespace attend::train {
namespace {

using attend::testing::all_close;

SafetensorsFile fixture(const std::string& name) {
  return read_safetensors(std::string(ATTEND_SOURCE_DIR) + "/tests/data/learning/" + name + ".safetensors");
}

// The Seq2SeqOptions written in the fixture's "config" (attend's option names).
nn::Seq2SeqOptions options_of(const SafetensorsFile& f) {
  const nlohmann::json c = nlohmann::json::parse(f.metadata.at("config"));
  nn::Seq2SeqOptions o;
  o.src_vocab_size = c.at("src_vocab_size").get<int64_t>();
  o.tgt_vocab_size = c.at("tgt_vocab_size").get<int64_t>();
  o.embedding_dim = c.at("embedding_dim").get<int64_t>();
  o.hidden_size = c.at("hidden_size").get<int64_t>();
  o.encoder_hidden = c.at("encoder_hidden").get<int64_t>();
  o.encoder_layers = c.at("encoder_layers").get<int64_t>();
  o.bidirectional = c.at("bidirectional").get<bool>();
  o.cell = nn::parse_cell_kind(c.at("cell").get<std::string>());
  o.scorer = nn::scorer_of(nn::parse_score_kind(c.at("scorer").get<std::string>()));
  o.placement = nn::parse_placement(c.at("placement").get<std::string>());
  o.fusion = nn::parse_fusion(c.at("fusion").get<std::string>());
  o.input_feeding = c.at("input_feeding").get<bool>();
  o.bridge = nn::BridgeKind::linear;
  o.padding_idx = 0;
  return o;
}

// Entries "<prefix><name>" of the file, by <name>.
std::map<std::string, Tensor> with_prefix(const SafetensorsFile& f, const std::string& prefix) {
  std::map<std::string, Tensor> out;
  for (const auto& [key, value] : f.tensors) {
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = value;
  }
  return out;
}

struct TrainingRun {
  std::unique_ptr<nn::Seq2Seq> model;
  std::vector<double> losses;
};

// The fixture's training replayed in attend: load the initial weights, then for each batch forward, cross entropy
// (ignore pad 0, mean over tokens), backward, Adam step; the loss of each step before its update.
TrainingRun replay(const SafetensorsFile& f, DType dtype, double lr) {
  TrainingRun run{std::make_unique<nn::Seq2Seq>(options_of(f)), {}};
  run.model->to(dtype);
  run.model->load_state_dict(with_prefix(f, "param."));  // strict: every name and shape must match
  optim::Adam adam(run.model->parameters(), {.lr = lr});
  const int steps = std::stoi(f.metadata.at("steps"));
  for (int k = 0; k < steps; ++k) {
    const std::string b = fmt::format("batch.{:02d}.", k);
    const nn::Seq2SeqOutput out =
        run.model->forward(f.tensors.at(b + "src"), f.tensors.at(b + "src_lengths"), f.tensors.at(b + "tgt_in"));
    const Var loss = cross_entropy(out.logits, f.tensors.at(b + "tgt_out"), {.ignore_index = 0});
    run.losses.push_back(loss.value().to(DType::f64).item<double>());
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  return run;
}

// The largest |a - b| / |b| over the curve, and where.
std::pair<double, size_t> worst_relative(const std::vector<double>& a, const std::vector<double>& b) {
  std::pair<double, size_t> worst{0.0, 0};
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double r = std::abs(a[i] - b[i]) / std::abs(b[i]);
    if (!(r <= worst.first)) worst = {r, i};  // NaN counts as worst
  }
  return worst;
}

class LearningParity : public ::testing::TestWithParam<std::string> {};

TEST_P(LearningParity, F32LossCurveFollowsTorchWithin1e3Relative) {
  const SafetensorsFile f = fixture(GetParam());
  const std::vector<double> torch_losses = f.tensors.at("loss").to_vector<double>();
  ASSERT_EQ(torch_losses.size(), 50u);
  const TrainingRun run = replay(f, DType::f32, std::stod(f.metadata.at("lr")));
  ASSERT_EQ(run.losses.size(), torch_losses.size());
  const auto [worst, at] = worst_relative(run.losses, torch_losses);
  std::printf("[ learning parity ] %s f32: worst relative loss difference %.3g at step %zu\n", GetParam().c_str(),
              worst, at);
  RecordProperty("worst_relative_f32", fmt::format("{:.3g}", worst));
  for (size_t i = 0; i < torch_losses.size(); ++i) {
    EXPECT_LE(std::abs(run.losses[i] - torch_losses[i]), 1e-3 * std::abs(torch_losses[i]))
        << "step " << i << ": attend " << run.losses[i] << ", torch " << torch_losses[i];
  }
  // The curve is worth following: the model learns over the 50 steps.
  EXPECT_LT(torch_losses.back(), torch_losses.front() - 0.3);
}

TEST_P(LearningParity, F64RunMatchesTorchF64LossesAndFinalWeights) {
  const SafetensorsFile f = fixture(GetParam());
  const std::vector<double> torch_losses = f.tensors.at("loss_f64").to_vector<double>();
  const TrainingRun run = replay(f, DType::f64, std::stod(f.metadata.at("lr")));
  const auto [worst, at] = worst_relative(run.losses, torch_losses);
  std::printf("[ learning parity ] %s f64: worst relative loss difference %.3g at step %zu\n", GetParam().c_str(),
              worst, at);
  EXPECT_LT(worst, 1e-12) << "at step " << at;
  const std::map<std::string, Tensor> want = with_prefix(f, "final_f64.");
  const std::map<std::string, Tensor> got = run.model->state_dict();
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, value] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(all_close(got.at(name), value, 1e-12, 1e-10)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Seq2Seq, LearningParity,
                         ::testing::Values("seq2seq_gru_bahdanau_additive", "seq2seq_lstm_luong_general_feed"),
                         [](const auto& p) { return p.param; });

// The tolerance has teeth: the same training with a 5% larger learning rate leaves the curve by more than 1e-3.
TEST(LearningParityControl, PerturbedTrainingLeavesTheCurve) {
  const SafetensorsFile f = fixture("seq2seq_gru_bahdanau_additive");
  const std::vector<double> torch_losses = f.tensors.at("loss").to_vector<double>();
  const TrainingRun run = replay(f, DType::f32, 1.05 * std::stod(f.metadata.at("lr")));
  EXPECT_NEAR(run.losses[0], torch_losses[0], 1e-5 * torch_losses[0]);  // the same start (before any update)
  const double worst = worst_relative(run.losses, torch_losses).first;
  std::printf("[ learning parity ] lr x 1.05: worst relative loss difference %.3g\n", worst);
  EXPECT_GT(worst, 1e-3);
}

}  // namespace
}  // namespace attend::train
