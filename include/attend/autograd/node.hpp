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
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

/// The gradients an op's backward writes, one slot per input, in input order. Leave a slot undefined for "no
/// gradient" (zero); skip the work for inputs where needs(i) is false.
struct Grads {
  std::vector<Tensor> slots;
  std::vector<bool> needed;
  Tensor& operator[](size_t i) { return slots[i]; }
  bool needs(size_t i) const { return needed[i]; }
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
