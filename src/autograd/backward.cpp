// The backward pass: topological order, one call per Node, gradients summed per Var, graph released afterwards.
#include <unordered_map>
#include <utility>

#include "attend/autograd/node.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/indexing.hpp"
#include "attend/tensor/linalg.hpp"
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
  std::unordered_map<Impl*, int64_t> consumers;  // edges into each Var from the nodes of the graph
  std::vector<std::pair<std::shared_ptr<Impl>, size_t>> stack{{impl_, 0}};
  visited[impl_.get()] = true;
  while (!stack.empty()) {
    auto& [v, next] = stack.back();
    const Node* node = v->node.get();
    if (node != nullptr && next < node->inputs.size()) {
      const std::shared_ptr<Impl>& in = node->inputs[next++].impl_;
      if (in != nullptr && in->requires_grad) ++consumers[in.get()];
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
  // Products from set_outer wait in `a` and `b` until the Var's gradient is needed (resolve).
  struct Pending {
    Tensor grad;
    bool owned = false;
    std::vector<Tensor> a, b;
  };
  // The gradient with the waiting products added: grad + [a₁; a₂; …]ᵀ [b₁; b₂; …], one GEMM.
  auto resolve = [](Pending& p) {
    if (p.a.empty()) return std::move(p.grad);
    const Tensor a = p.a.size() == 1 ? p.a[0] : concat(p.a, 0), b = p.b.size() == 1 ? p.b[0] : concat(p.b, 0);
    Tensor g = std::move(p.grad);
    const bool add_to = g.defined();
    if (!add_to) g = Tensor::empty({a.size(1), b.size(1)}, a.dtype());
    else if (!p.owned || !g.is_contiguous()) g = g.clone();
    gemm_into(a.transpose(0, 1), b, g, 1.0, add_to ? 1.0 : 0.0);
    return g;
  };
  std::unordered_map<Impl*, Pending> pending{{impl_.get(), {seed, false, {}, {}}}};
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Impl* v = it->get();
    auto found = pending.find(v);
    if (found == pending.end()) continue;  // no gradient reached this Var
    Tensor grad = resolve(found->second);
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
    grads.outers.resize(node.inputs.size());
    for (size_t i = 0; i < node.inputs.size(); ++i) grads.needed[i] = node.inputs[i].requires_grad();
    node.backward(grad, grads);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (grads.needed[i] && grads.outers[i]) {
        Impl* in = node.inputs[i].impl_.get();
        OuterGrad& o = *grads.outers[i];
        ATTEND_ASSERT(in->value.dim() == 2 && o.a.dim() == 2 && o.b.dim() == 2 && o.a.size(0) == o.b.size(0) &&
                          o.a.size(1) == in->value.size(0) && o.b.size(1) == in->value.size(1) &&
                          o.a.dtype() == in->value.dtype() && o.b.dtype() == in->value.dtype(),
                      "'{}' returned an outer gradient {}ᵀ·{} for an input {}", node.op, shape_str(o.a.shape()),
                      shape_str(o.b.shape()), shape_str(in->value.shape()));
        Pending& p = pending[in];
        p.a.push_back(std::move(o.a));
        p.b.push_back(std::move(o.b));
      }
      if (grads.needed[i] && --consumers[node.inputs[i].impl_.get()] == 0) {
        // Every consumer has reported: add the waiting products now, so their factors are freed (the Var's own turn
        // in `order` may come much later).
        auto done = pending.find(node.inputs[i].impl_.get());
        if (done != pending.end() && !done->second.a.empty()) {
          done->second.grad = resolve(done->second);
          done->second.owned = true;
          done->second.a.clear();
          done->second.b.clear();
        }
      }
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
        if (slot == pending.end()) slot = pending.emplace(in, Pending{}).first;
        if (!slot->second.grad.defined()) {
          slot->second.grad = Tensor::zeros(in->value.shape(), g.dtype());
          slot->second.owned = true;
        } else if (!slot->second.owned) {
          slot->second.grad = slot->second.grad.clone();
          slot->second.owned = true;
        }
        const Tensor dst = slot->second.grad.narrow(sl.dim, sl.start, g.shape()[static_cast<size_t>(sl.dim)]);
        add_into(dst, g);
        continue;
      }
      Tensor g = sum_to(grads.slots[i], in->value.shape());
      if (slot == pending.end()) slot = pending.emplace(in, Pending{}).first;
      Pending& p = slot->second;
      if (!p.grad.defined()) {
        p.grad = std::move(g);
        p.owned = false;
      } else if (p.owned) {
        add_into(p.grad, g);  // only this map holds it: add in place
      } else {
        p.grad = add(p.grad, g);
        p.owned = true;
      }
    }
    if (!retain_graph) {  // free saved tensors and inputs as soon as they are used
      node.backward = nullptr;
      node.inputs.clear();
      node.released = true;
    }
  }
}

}  // namespace attend
