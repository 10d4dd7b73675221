// CellModule: the cells' shared parameters (torch's names and init) and checked step (cell_common.hpp).
#include "attend/nn/rnn/cell_module.hpp"

#include "cell_common.hpp"

namespace attend::nn {

namespace {

const CellOptions& checked(const char* name, const CellOptions& o) {
  ATTEND_CHECK(o.input_size >= 0 && o.hidden_size > 0,
               "{}: input_size must be >= 0 and hidden_size > 0 (got {} and {})", name, o.input_size, o.hidden_size);
  return o;
}

}  // namespace

CellModule::CellModule(const char* name, CellKind kind, const CellOptions& options) : name_(name), kind_(kind) {
  const CellOptions& o = checked(name, options);
  const detail::CellParameters p =
      detail::register_cell_parameters(*this, kind, o.input_size, o.hidden_size, o.bias, o.seed);
  weight_ih_ = p.weight_ih;
  weight_hh_ = p.weight_hh;
  bias_ih_ = p.bias_ih;
  bias_hh_ = p.bias_hh;
}

RecurrentState CellModule::step(const Var& x, const RecurrentState& state, const Var& attention) const {
  return detail::cell_forward(name_, kind_, {weight_ih_, weight_hh_, bias_ih_, bias_hh_}, x, state, attention);
}

}  // namespace attend::nn
