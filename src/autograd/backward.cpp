// The backward pass: topological order, one call per Node, gradients summed per Var, graph released afterwards.
#include <unordered_map>
#include <utility>

#include "attend/autograd/node.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"
#include "var_impl.hpp"

namespace attend {

void Var::backward(bool retain_graph) const {
  ATTEND_CHECK(impl_ != nullptr, "backward: the Var is undefined");
  ATTEND_CHECK(impl_->value.numel() == 1,
               "backward: without a gradient argument the output must be a scalar, got shape {}",
               shape_str(impl_->value.shape()));
  backward(Tensor::ones(impl_->value.shape(), impl_->value.dtype()), retain_graph);
}

void Var::backward(const Tensor& seed, bool retain_graph) const {
  ATTEND_CHECK(impl_ != nullptr, "backward: the Var is undefined");
  ATTEND_CHECK(impl_->requires_grad,
               "backward: this Var does not require a gradient (no input of the ops that made it requires one)");
  ATTEND_CHECK(seed.shape() == impl_->value.shape() && seed.dtype() == impl_->value.dtype(),
               "backward: gradient {} {} does not match the output {} {}", dtype_name(seed.dtype()),
               shape_str(seed.shape()), dtype_name(impl_->value.dtype()), shape_str(impl_->value.shape()));

  // Post-order DFS with an explicit stack: `order` ends with the root, every Var after the Vars it
  // depends on, so walking it backwards visits a Var only after every consumer has sent its gradient.
  // `order` owns its Vars so releasing a node's inputs below never frees a Var that is still to be visited.
  std::vector<std::shared_ptr<Impl>> order;
  std::unordered_map<Impl*, bool> visited;
  std::vector<std::pair<std::shared_ptr<Impl>, size_t>> stack{{impl_, 0}};
  visited[impl_.get()] = true;
  while (!stack.empty()) {
    auto& [v, next] = stack.back();
    const Node* node = v->node.get();
    if (node != nullptr && next < node->inputs.size()) {
      const std::shared_ptr<Impl>& in = node->inputs[next++].impl_;
      if (in != nullptr && in->requires_grad && !visited[in.get()]) {
        visited[in.get()] = true;
        stack.emplace_back(in, 0);
      }
      continue;
    }
    order.push_back(std::move(v));
    stack.pop_back();
  }

  // Gradients on their way to each Var. `owned` marks a tensor that only this map references (made by the engine),
  // which slice gradients may be added into in place; others (an op may pass its own gy along) are copied first.
  struct Pending {
    Tensor grad;
    bool owned = false;
  };
  std::unordered_map<Impl*, Pending> pending{{impl_.get(), {seed, false}}};
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Impl* v = it->get();
    auto found = pending.find(v);
    if (found == pending.end()) continue;  // no gradient reached this Var
    Tensor grad = std::move(found->second.grad);
    pending.erase(found);
    if (v->node == nullptr) {  // a leaf: accumulate
      // A leaf owns its gradient (optimizers and clipping update it in place), so shared storage is copied.
      if (v->grad.defined()) v->grad = add(v->grad, grad);
      else v->grad = grad.is_contiguous() && grad.storage().use_count() == 1 ? grad : grad.clone();
      continue;
    }
    Node& node = *v->node;
    ATTEND_CHECK(!node.released,
                 "backward: the graph through '{}' was already released by an earlier backward (pass "
                 "retain_graph=true to the first backward to go through it twice)",
                 node.op);
    Grads grads;
    grads.slots.resize(node.inputs.size());
    grads.needed.resize(node.inputs.size());
    grads.slices.resize(node.inputs.size());
    for (size_t i = 0; i < node.inputs.size(); ++i) grads.needed[i] = node.inputs[i].requires_grad();
    node.backward(grad, grads);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (!grads.needed[i] || !grads.slots[i].defined()) continue;
      Impl* in = node.inputs[i].impl_.get();
      ATTEND_ASSERT(grads.slots[i].dtype() == in->value.dtype(), "'{}' returned a {} gradient for a {} input",
                    node.op, dtype_name(grads.slots[i].dtype()), dtype_name(in->value.dtype()));
      auto slot = pending.find(in);
      if (grads.slices[i]) {  // a slice: add into (a zero-initialised, owned) full gradient in place
        const GradSlice& sl = *grads.slices[i];
        const Tensor& g = grads.slots[i];
        ATTEND_ASSERT(g.dim() == in->value.dim(), "'{}' returned a slice gradient of rank {} for an input of rank {}",
                      node.op, g.dim(), in->value.dim());
        if (slot == pending.end()) {
          slot = pending.emplace(in, Pending{Tensor::zeros(in->value.shape(), g.dtype()), true}).first;
        } else if (!slot->second.owned) {
          slot->second = {slot->second.grad.clone(), true};
        }
        const Tensor dst = slot->second.grad.narrow(sl.dim, sl.start, g.shape()[static_cast<size_t>(sl.dim)]);
        add_into(dst, g);
        continue;
      }
      Tensor g = sum_to(grads.slots[i], in->value.shape());
      if (slot == pending.end()) pending.emplace(in, Pending{std::move(g), false});
      else if (slot->second.owned) add_into(slot->second.grad, g);  // only this map holds it: add in place
      else slot->second = {add(slot->second.grad, g), true};
    }
    if (!retain_graph) {  // free saved tensors and inputs as soon as they are used
      node.backward = nullptr;
      node.inputs.clear();
      node.released = true;
    }
  }
}

}  // namespace attend
