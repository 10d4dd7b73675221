// Var: a Tensor value that takes part in reverse-mode automatic differentiation.
//
// A Var holds a value, the gradient accumulated into it by backward(), and (when an op produced it while gradients
// were being recorded) the Node that knows how to send a gradient back to the op's inputs. Copying a Var shares it,
// like a torch.Tensor. Leaves are Vars made by the user (parameters, inputs); set requires_grad to have backward()
// fill their grad(). Only leaves keep gradients, as in PyTorch.
//
// Usage:
//   Var w(Tensor::randn({3, 4}, rng), /*requires_grad=*/true);
//   Var loss = sum(tanh(matmul(x, w)));
//   loss.backward();                     // w.grad() is [3, 4]; the graph is released afterwards
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend {

struct Node;
struct Grads;
using BackwardFn = std::function<void(const Tensor& grad_output, Grads& grads)>;

class Var {
 public:
  /// An undefined Var (defined() is false).
  Var() = default;
  /// A leaf holding `value` (shared, not copied).
  explicit Var(Tensor value, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& value() const;
  /// Replaces the value of a leaf (every copy of this Var sees it) and drops its gradient; the shape and dtype may
  /// change (Module::to converts parameters this way). Throws for a Var made by an op.
  void set_value(const Tensor& value) const;
  /// The accumulated gradient, or an undefined Tensor when none has arrived.
  const Tensor& grad() const;
  void set_grad(const Tensor& grad) const;
  /// Forgets the accumulated gradient (grad() becomes undefined).
  void zero_grad() const;
  bool requires_grad() const;
  /// Only for leaves: mark as needing (or not) a gradient.
  void set_requires_grad(bool value) const;
  bool is_leaf() const;
  /// The op that produced this Var ("" for a leaf).
  const char* op() const;

  const Shape& shape() const { return value().shape(); }
  int64_t dim() const { return value().dim(); }
  int64_t size(int64_t d) const { return value().size(d); }
  int64_t numel() const { return value().numel(); }
  DType dtype() const { return value().dtype(); }

  /// Backpropagates from this scalar (seed gradient 1). Throws when numel() != 1.
  void backward(bool retain_graph = false) const;
  /// Backpropagates with `grad` (same shape as value()) as the seed gradient.
  void backward(const Tensor& grad, bool retain_graph = false) const;
  /// The same value, cut from the graph: no gradient flows through the result.
  Var detach() const;

  // Engine-facing (autograd/node.hpp, autograd/backward.cpp).
  const std::shared_ptr<Node>& node() const;
  /// Identity of the shared state (two copies of one Var have the same id).
  const void* id() const { return impl_.get(); }

 private:
  struct Impl;
  friend struct Node;
  friend Var make_result(Tensor value, std::vector<Var> inputs, BackwardFn fn, const char* op);
  std::shared_ptr<Impl> impl_;
};

/// While alive, ops record nothing: results are leaves without requires_grad (inference, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Whether ops currently record the graph (false inside a NoGradGuard).
bool grad_enabled();

}  // namespace attend
