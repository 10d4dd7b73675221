#include "attend/nn/module.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/nn/dropout.hpp"
#include "attend/nn/linear.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A miniature encoder with the nesting of a Transformer: encoder.layers.0.self_attn.in_proj_weight.
struct Attn : Module {
  const Var& in_proj_weight = register_parameter("in_proj_weight", Tensor::zeros({6, 2}));
  const Var& in_proj_bias = register_parameter("in_proj_bias", Tensor::zeros({6}));
  const Tensor& steps = register_buffer("steps", Tensor::zeros({1}));
};
struct Layer : Module {
  std::shared_ptr<Attn> self_attn = register_module("self_attn", std::make_shared<Attn>());
  const Var& scale = register_parameter("scale", Tensor::ones({2}));
};
struct Layers : Module {
  std::shared_ptr<Layer> l0 = register_module("0", std::make_shared<Layer>());
  std::shared_ptr<Layer> l1 = register_module("1", std::make_shared<Layer>());
};
struct Encoder : Module {
  const Var& first = register_parameter("first", Tensor::zeros({2}));
  std::shared_ptr<Layers> layers = register_module("layers", std::make_shared<Layers>());
  const Var& absent = register_parameter("absent", Tensor());  // like torch's register_parameter("x", None)
  std::shared_ptr<Dropout> drop = register_module("drop", std::make_shared<Dropout>(DropoutOptions{.p = 0.5}));
};
struct Model : Module {
  std::shared_ptr<Encoder> encoder = register_module("encoder", std::make_shared<Encoder>());
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Var>>& named) {
  std::vector<std::string> out;
  for (const auto& [name, var] : named) out.push_back(name);
  return out;
}

// As torch: a module's own parameters (in registration order) come before its children's, even when a child was
// registered first (Layer registers self_attn before scale).
TEST(Module, NamedParametersAreDottedOwnFirstThenChildrenInOrder) {
  Model m;
  EXPECT_THAT(names_of(m.named_parameters()),
              ElementsAre("encoder.first", "encoder.layers.0.scale", "encoder.layers.0.self_attn.in_proj_weight",
                          "encoder.layers.0.self_attn.in_proj_bias", "encoder.layers.1.scale",
                          "encoder.layers.1.self_attn.in_proj_weight", "encoder.layers.1.self_attn.in_proj_bias"));
  EXPECT_EQ(m.parameters().size(), 7u);
  EXPECT_EQ(m.parameters()[2].id(), m.encoder->layers->l0->self_attn->in_proj_weight.id());  // shared, not copied
  const auto buffers = m.named_buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].first, "encoder.layers.0.self_attn.steps");
  const auto state = m.state_dict();
  EXPECT_EQ(state.size(), 9u);  // 7 parameters + 2 buffers; the absent parameter is left out
  EXPECT_TRUE(state.contains("encoder.layers.1.self_attn.steps"));
  EXPECT_FALSE(state.contains("encoder.absent"));
  EXPECT_FALSE(m.encoder->absent.defined());
}

TEST(Module, RejectsDuplicateAndDottedNames) {
  Attn a;
  EXPECT_THROW(a.register_parameter("in_proj_weight", Tensor::zeros({1})), Error);
  EXPECT_THROW(a.register_buffer("in_proj_bias", Tensor::zeros({1})), Error);
  EXPECT_THROW(a.register_parameter("a.b", Tensor::zeros({1})), Error);
  EXPECT_THROW(a.register_parameter("ids", Tensor::zeros({1}, DType::i64)), Error);
}

TEST(Module, LoadStateDictCopiesInPlaceAndConvertsFloats) {
  Attn a;
  const void* id = a.in_proj_weight.id();
  std::map<std::string, Tensor> state = a.state_dict();
  state["in_proj_weight"] = Tensor::full({6, 2}, 3.0, DType::f64);  // f64 into an f32 parameter
  state["steps"] = Tensor::full({1}, 7.0);
  a.load_state_dict(state);
  EXPECT_EQ(a.in_proj_weight.id(), id);
  EXPECT_EQ(a.in_proj_weight.dtype(), DType::f32);
  EXPECT_EQ(a.in_proj_weight.value().at({5, 1}), 3.0);
  EXPECT_EQ(a.steps.at({0}), 7.0);
}

TEST(Module, LoadStateDictListsMissingAndUnexpectedKeys) {
  Layer l;
  std::map<std::string, Tensor> state = l.state_dict();
  state.erase("self_attn.in_proj_bias");
  state.erase("scale");
  state["self_attn.out_proj.weight"] = Tensor::zeros({2, 2});
  try {
    l.load_state_dict(state);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing keys: scale, self_attn.in_proj_bias"));
    EXPECT_THAT(e.what(), HasSubstr("unexpected keys: self_attn.out_proj.weight"));
  }
  l.load_state_dict(state, /*strict=*/false);  // non-strict loads what matches
}

TEST(Module, LoadStateDictNamesKeyAndBothShapesAndChangesNothing) {
  Layer l;
  std::map<std::string, Tensor> state = l.state_dict();
  for (auto& [k, v] : state) v = Tensor::full(v.shape(), 5.0);
  state["self_attn.in_proj_weight"] = Tensor::zeros({2, 6});
  try {
    l.load_state_dict(state);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'self_attn.in_proj_weight' has shape [2, 6], expected [6, 2]"));
  }
  EXPECT_EQ(l.scale.value().at({0}), 1.0);  // checked before anything was copied
  EXPECT_THROW(l.load_state_dict(state, /*strict=*/false), Error);  // shapes are checked even when not strict
  state["self_attn.in_proj_weight"] = Tensor::zeros({6, 2}, DType::i64);
  EXPECT_THROW(l.load_state_dict(state), Error);  // an integer tensor is not a float conversion
}

TEST(Module, TrainAndEvalPropagate) {
  Model m;
  EXPECT_TRUE(m.is_training());
  m.eval();
  EXPECT_FALSE(m.is_training());
  EXPECT_FALSE(m.encoder->layers->l1->self_attn->is_training());
  EXPECT_FALSE(m.encoder->drop->is_training());
  m.encoder->train();
  EXPECT_FALSE(m.is_training());
  EXPECT_TRUE(m.encoder->drop->is_training());
}

TEST(Module, ZeroGradForgetsEveryGradient) {
  Model m;
  Var loss = sum(m.encoder->first);
  for (const Var& p : m.parameters()) loss = loss + sum(p);
  loss.backward();
  for (const Var& p : m.parameters()) ASSERT_TRUE(p.grad().defined());
  EXPECT_EQ(m.encoder->first.grad().at({0}), 2.0);
  m.zero_grad();
  for (const Var& p : m.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, ToConvertsParametersAndFloatBuffersAndReferencesFollow) {
  Model m;
  m.encoder->layers->l0->scale.value().fill_(0.25);
  const std::vector<Var> held = m.parameters();  // e.g. an optimizer's list, taken before the conversion
  m.to(DType::f64);
  for (const Var& p : held) EXPECT_EQ(p.dtype(), DType::f64);  // copies share the converted value
  for (const auto& [name, p] : m.named_parameters()) EXPECT_EQ(p.dtype(), DType::f64) << name;
  for (const auto& [name, b] : m.named_buffers()) EXPECT_EQ(b.dtype(), DType::f64) << name;
  const Var& scale = m.encoder->layers->l0->scale;  // the member reference sees the converted Var
  EXPECT_EQ(scale.dtype(), DType::f64);
  EXPECT_TRUE(scale.requires_grad());
  EXPECT_EQ(scale.value().at({1}), 0.25);
  EXPECT_THROW(m.to(DType::i64), Error);
}

TEST(Module, ToF64ThenLinearForwardRunsInF64) {
  Linear lin({.in_features = 3, .out_features = 2});
  lin.to(DType::f64);
  Var y = lin.forward(Var(Tensor::ones({4, 3}, DType::f64)));
  EXPECT_EQ(y.dtype(), DType::f64);
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
}

}  // namespace
}  // namespace attend::nn
