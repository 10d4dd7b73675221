// GRUCell: the cell's parameters (torch's names and init) and a checked step (cell_common.hpp, recurrent_step).
#include "attend/nn/rnn/gru_cell.hpp"

#include "cell_common.hpp"

namespace attend::nn {

namespace {

const GRUCellOptions& checked(const GRUCellOptions& o) {
  ATTEND_CHECK(o.input_size >= 0 && o.hidden_size > 0,
               "GRUCell: input_size must be >= 0 and hidden_size > 0 (got {} and {})", o.input_size, o.hidden_size);
  return o;
}

}  // namespace

GRUCell::GRUCell(const GRUCellOptions& options) : options_(checked(options)) {
  const detail::CellParameters p = detail::register_cell_parameters(
      *this, CellKind::gru, options_.input_size, options_.hidden_size, options_.bias, options_.seed);
  weight_ih_ = p.weight_ih;
  weight_hh_ = p.weight_hh;
  bias_ih_ = p.bias_ih;
  bias_hh_ = p.bias_hh;
}

Var GRUCell::forward(const Var& x, const Var& h) const {
  return detail::cell_forward("GRUCell", CellKind::gru, {weight_ih_, weight_hh_, bias_ih_, bias_hh_}, x, {h, Var()}).h;
}

}  // namespace attend::nn
