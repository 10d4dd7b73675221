// Sequential: calls each registered stage in order.
#include "attend/nn/sequential.hpp"

namespace attend::nn {

Var Sequential::forward(const Var& x) const {
  Var y = x;
  for (const auto& stage : stages_) y = stage(y);
  return y;
}

}  // namespace attend::nn
