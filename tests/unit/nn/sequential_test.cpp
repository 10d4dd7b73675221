#include "attend/nn/sequential.hpp"

#include <gtest/gtest.h>

#include "attend/nn/dropout.hpp"
#include "attend/nn/layer_norm.hpp"
#include "attend/nn/linear.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

TEST(SequentialModule, NamesStagesByIndexLikeTorch) {
  Sequential seq(std::make_shared<Linear>(LinearOptions{.in_features = 3, .out_features = 4}),
                 std::make_shared<Dropout>(DropoutOptions{.p = 0.1}),
                 std::make_shared<LayerNorm>(LayerNormOptions{.normalized_shape = {4}}));
  EXPECT_EQ(seq.size(), 3u);
  std::vector<std::string> names;
  for (const auto& [name, p] : seq.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  seq.eval();
  EXPECT_FALSE(seq.children()[1].second->is_training());
}

TEST(SequentialModule, AppliesStagesInOrder) {
  Sequential seq;
  auto first = seq.push_back(std::make_shared<Linear>(LinearOptions{.in_features = 1, .out_features = 1}));
  seq.push_back(std::make_shared<Linear>(LinearOptions{.in_features = 1, .out_features = 1}));
  seq.load_state_dict({{"0.weight", Tensor::full({1, 1}, 2.0)}, {"0.bias", Tensor::full({1}, 1.0)},
                       {"1.weight", Tensor::full({1, 1}, 3.0)}, {"1.bias", Tensor::full({1}, 0.0)}});
  EXPECT_EQ(first->weight().value().at({0, 0}), 2.0);
  EXPECT_EQ(seq.forward(Var(Tensor::full({1, 1}, 5.0))).value().at({0, 0}), 33.0);  // 3 · (2 · 5 + 1)
  EXPECT_EQ(Sequential().forward(Var(Tensor::full({1}, 4.0))).value().at({0}), 4.0);
}

}  // namespace
}  // namespace attend::nn
