#include "attend/autograd/var.hpp"

#include "attend/autograd/node.hpp"
#include "var_impl.hpp"

namespace attend {

namespace {
thread_local bool g_grad_enabled = true;
}  // namespace

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Var::Var(Tensor value, bool requires_grad) : impl_(std::make_shared<Impl>()) {
  ATTEND_CHECK(value.defined(), "Var: the value tensor is undefined");
  ATTEND_CHECK(!requires_grad || is_floating(value.dtype()),
               "Var: only floating tensors can require a gradient (got {} with shape {})", dtype_name(value.dtype()),
               shape_str(value.shape()));
  impl_->value = std::move(value);
  impl_->requires_grad = requires_grad;
}

#define ATTEND_VAR_DEFINED(what) ATTEND_CHECK(impl_ != nullptr, "Var::{}: the Var is undefined", what)

const Tensor& Var::value() const {
  ATTEND_VAR_DEFINED("value");
  return impl_->value;
}
void Var::set_value(const Tensor& value) const {
  ATTEND_VAR_DEFINED("set_value");
  ATTEND_CHECK(impl_->node == nullptr, "Var::set_value: only leaves can be replaced (this Var was made by {})",
               impl_->node ? impl_->node->op : "");
  ATTEND_CHECK(value.defined(), "Var::set_value: the new value is undefined");
  ATTEND_CHECK(!impl_->requires_grad || is_floating(value.dtype()),
               "Var::set_value: a Var that requires a gradient needs a floating value, got {}", dtype_name(value.dtype()));
  impl_->value = value;
  impl_->grad = Tensor();
}

const Tensor& Var::grad() const {
  ATTEND_VAR_DEFINED("grad");
  return impl_->grad;
}
void Var::set_grad(const Tensor& grad) const {
  ATTEND_VAR_DEFINED("set_grad");
  ATTEND_CHECK(!grad.defined() || grad.shape() == impl_->value.shape(),
               "Var::set_grad: gradient shape {} differs from the value's shape {}", shape_str(grad.shape()),
               shape_str(impl_->value.shape()));
  impl_->grad = grad;
}
void Var::zero_grad() const {
  ATTEND_VAR_DEFINED("zero_grad");
  impl_->grad = Tensor();
}
bool Var::requires_grad() const { return impl_ != nullptr && impl_->requires_grad; }
void Var::set_requires_grad(bool value) const {
  ATTEND_VAR_DEFINED("set_requires_grad");
  ATTEND_CHECK(impl_->node == nullptr, "Var::set_requires_grad: only leaves can change requires_grad (this Var was made by {})",
               impl_->node ? impl_->node->op : "");
  ATTEND_CHECK(!value || is_floating(impl_->value.dtype()), "Var::set_requires_grad: {} tensors have no gradient",
               dtype_name(impl_->value.dtype()));
  impl_->requires_grad = value;
}
bool Var::is_leaf() const { return impl_ == nullptr || impl_->node == nullptr; }
const char* Var::op() const { return impl_ && impl_->node ? impl_->node->op : ""; }
const std::shared_ptr<Node>& Var::node() const {
  ATTEND_VAR_DEFINED("node");
  return impl_->node;
}

Var Var::detach() const {
  ATTEND_VAR_DEFINED("detach");
  return Var(impl_->value, false);
}

Node::~Node() {
  std::vector<Var> stack = std::move(inputs);
  while (!stack.empty()) {
    Var v = std::move(stack.back());
    stack.pop_back();
    // When this is the last reference to v's node, adopt the node's inputs so they are freed here, not by recursion.
    if (v.impl_ && v.impl_.use_count() == 1 && v.impl_->node && v.impl_->node.use_count() == 1) {
      for (Var& in : v.impl_->node->inputs) stack.push_back(std::move(in));
      v.impl_->node->inputs.clear();
    }
  }
}

Var make_result(Tensor value, std::vector<Var> inputs, BackwardFn fn, const char* op) {
  Var out(std::move(value), false);
  if (!grad_enabled()) return out;
  bool any = false;
  for (const Var& v : inputs) any = any || v.requires_grad();
  if (!any) return out;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(fn);
  out.impl_->node = std::move(node);
  out.impl_->requires_grad = true;
  return out;
}

}  // namespace attend
