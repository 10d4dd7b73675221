// Node and make_result: how a differentiable op records itself on the tape.
//
// The tape is implicit: each result Var points to the Node that made it, and the Node holds its input Vars, so the
// graph is the set of Nodes reachable from the loss. backward() sorts them topologically (iteratively, so a
// 10,000-step BPTT graph does not overflow the stack), runs each Node's function once with the sum of the gradients
// that reached its output, and frees the Node's saved tensors right after. An op writes its forward and, right below,
// its backward as a lambda:
//
//   Var tanh(const Var& x) {
//     Tensor y = tanh(x.value());
//     return make_result(y, {x}, [y](const Tensor& gy, Grads& g) { g[0] = gy * (1.0 - y * y); }, "tanh");
//   }
//
// Gradients may be returned in the broadcast shape: the engine sums them back to each input's shape (sum_to).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

/// Where a slice gradient goes: elements [start, start + extent) of dim `dim` of the input.
struct GradSlice {
  int64_t dim = 0;
  int64_t start = 0;
};

/// A gradient left as a product: aᵀ·b for a [K, M] and b [K, N] (the input is [M, N]).
struct OuterGrad {
  Tensor a, b;
};

/// The gradients an op's backward writes, one slot per input, in input order. Leave a slot undefined for "no
/// gradient" (zero); skip the work for inputs where needs(i) is false.
/// A slicing op (narrow, select, the pieces of split) writes only the gradient of its slice with set_slice(): the
/// engine adds it into the input's gradient in place, so T per-step slices of a [B, T, C] tensor cost O(B·T·C) in
/// backward, not T full-size zero tensors.
/// A weight's gradient as a product (linear's dW = gyᵀ·x) goes through set_outer(): the engine keeps the factors
/// and, when the weight's gradient is needed, sums every product that reached it in one GEMM over the stacked rows.
/// A weight used at each of T time steps then costs one GEMM with inner dimension T·B instead of T GEMMs with inner
/// dimension B, each writing (and the engine adding) a full-size gradient.
struct Grads {
  std::vector<Tensor> slots;
  std::vector<bool> needed;
  std::vector<std::optional<GradSlice>> slices;
  std::vector<std::optional<OuterGrad>> outers;
  Tensor& operator[](size_t i) { return slots[i]; }
  bool needs(size_t i) const { return needed[i]; }
  /// Slot i is the gradient of input i's elements [start, start + g.shape[dim]) along dim (g has the input's rank).
  void set_slice(size_t i, Tensor g, int64_t dim, int64_t start) {
    slots[i] = std::move(g);
    slices[i] = GradSlice{dim, start};
  }
  /// Slot i is the gradient aᵀ·b of a 2-D input [M, N], a [K, M] and b [K, N] (K may differ between calls).
  void set_outer(size_t i, Tensor a, Tensor b) {
    if (outers.size() < slots.size()) outers.resize(slots.size());
    outers[i] = OuterGrad{std::move(a), std::move(b)};
  }
};

struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  /// Tears down the graph behind this node iteratively (a deep chain would otherwise recurse once per node).
  ~Node();

  const char* op = "";
  std::vector<Var> inputs;
  BackwardFn backward;
  bool released = false;
};

/// The result of an op: a Var holding `value`. When gradients are recorded and any input requires a gradient, the
/// result gets a Node with `fn` as its backward; otherwise it is a plain leaf and `fn` is dropped.
Var make_result(Tensor value, std::vector<Var> inputs, BackwardFn fn, const char* op);

}  // namespace attend
