// Sequential: a chain of modules applied in order, as torch.nn.Sequential (children named "0", "1", ...).
//
// Any module with `Var forward(const Var&)` (const or not) can be a stage; the stages are registered as submodules,
// so their parameters appear as `0.weight`, `2.bias`, ... exactly as in a PyTorch Sequential's state_dict.
// Shapes: whatever the stages map: x -> stage_0 -> stage_1 -> ... -> y.
// Usage:
//   Sequential mlp(std::make_shared<Linear>(LinearOptions{.in_features = 8, .out_features = 16}),
//                  std::make_shared<Dropout>(DropoutOptions{.p = 0.1}));
//   Var y = mlp.forward(x);                              // x [B, 8] -> y [B, 16]
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attend/nn/module.hpp"

namespace attend::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  template <class... Ms>
  explicit Sequential(std::shared_ptr<Ms>... stages) {
    (push_back(std::move(stages)), ...);
  }

  /// Appends a stage under the next index as its name and returns it.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> stage) {
    M* raw = register_module(std::to_string(stages_.size()), stage).get();
    stages_.emplace_back([raw](const Var& x) { return raw->forward(x); });
    return stage;
  }

  /// Runs every stage in order; an empty Sequential returns x.
  Var forward(const Var& x) const;
  Var operator()(const Var& x) const { return forward(x); }
  size_t size() const { return stages_.size(); }

 private:
  std::vector<std::function<Var(const Var&)>> stages_;  // call the registered children (owned by the registry)
};

}  // namespace attend::nn
