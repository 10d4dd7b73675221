// The shared parts of the cell modules: torch's init, argument checks with the module's name, the unbatched case.
#include "cell_common.hpp"

#include <cmath>

#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn::detail {

Tensor recurrent_uniform(const Shape& shape, int64_t hidden_size, uint64_t seed, uint64_t stream) {
  Rng rng(seed, stream);
  const double bound = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  return Tensor::uniform(shape, rng, -bound, bound);
}

CellParameters register_cell_parameters(Module& module, CellKind kind, int64_t input_size, int64_t hidden_size,
                                        bool bias, uint64_t seed) {
  const int64_t rows = gate_count(kind) * hidden_size;
  auto init = [&](const Shape& shape, uint64_t stream) { return recurrent_uniform(shape, hidden_size, seed, stream); };
  const Var& w_ih = module.register_parameter("weight_ih", init({rows, input_size}, 0));
  const Var& w_hh = module.register_parameter("weight_hh", init({rows, hidden_size}, 1));
  const Var& b_ih = module.register_parameter("bias_ih", bias ? init({rows}, 2) : Tensor());
  const Var& b_hh = module.register_parameter("bias_hh", bias ? init({rows}, 3) : Tensor());
  return {w_ih, w_hh, b_ih, b_hh};
}

namespace {

std::string shape_of(const Var& v) { return v.defined() ? shape_str(v.shape()) : "(undefined)"; }

// Checks a state argument against the expected [B, width] (or [width] unbatched); zeros when undefined.
Var state_or_zeros(const char* module, const char* arg, const Var& s, bool batched, int64_t batch, int64_t width,
                   const Var& x) {
  if (!s.defined()) return Var(Tensor::zeros({batch, width}, x.dtype()));
  const Shape want = batched ? Shape{batch, width} : Shape{width};
  ATTEND_CHECK(s.shape() == want, "{}: {} must have shape {} for input shape {}; {} shape {}", module, arg,
               shape_str(want), shape_str(x.shape()), arg, shape_str(s.shape()));
  return batched ? s : unsqueeze(s, 0);
}

}  // namespace

RecurrentState cell_forward(const char* module, CellKind kind, const CellParameters& p, const Var& x,
                            const RecurrentState& state, const Var& attention) {
  const int64_t input_size = p.weight_ih.size(1), hidden = p.weight_hh.size(1);
  ATTEND_CHECK(x.defined() && (x.dim() == 1 || x.dim() == 2) && x.size(-1) == input_size,
               "{}: input must be [B, input_size] or [input_size] with input_size = {}; input shape {}", module,
               input_size, shape_of(x));
  const bool batched = x.dim() == 2;
  const int64_t batch = batched ? x.size(0) : 1;
  RecurrentState s{state_or_zeros(module, "h", state.h, batched, batch, hidden, x), Var()};
  if (kind == CellKind::lstm) s.c = state_or_zeros(module, "c", state.c, batched, batch, hidden, x);
  Var a;
  if (kind == CellKind::augru) {
    const Shape want = batched ? Shape{batch} : Shape{};
    const bool column = batched && attention.defined() && attention.shape() == Shape{batch, 1};  // [B, 1]
    ATTEND_CHECK(attention.defined() && (attention.shape() == want || column),
                 "{}: attention must have shape {} for input shape {}; attention shape {}", module, shape_str(want),
                 shape_str(x.shape()), shape_of(attention));
    a = reshape(attention, {batch});  // [B]
  }
  const Var xb = batched ? x : unsqueeze(x, 0);  // [B, I]
  RecurrentState next = recurrent_step(kind, linear(xb, p.weight_ih, p.bias_ih), s,
                                       {.weight_hh = p.weight_hh, .bias_hh = p.bias_hh, .weight_hr = Var()}, a);
  if (!batched) {
    next.h = squeeze(next.h, 0);                       // [H]
    if (next.c.defined()) next.c = squeeze(next.c, 0);  // [H]
  }
  return next;
}

}  // namespace attend::nn::detail
