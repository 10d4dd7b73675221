// Private: the shared state behind a Var (used by the autograd engine only).
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

struct Var::Impl {
  Tensor value;
  Tensor grad;
  bool requires_grad = false;
  std::shared_ptr<Node> node;  // null for leaves
};

}  // namespace attend
