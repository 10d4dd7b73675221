// AUGRUCell: the cell's parameters (torch's names and init) and a checked step (cell_common.hpp, recurrent_step).
#include "attend/nn/rnn/augru_cell.hpp"

#include "cell_common.hpp"

namespace attend::nn {

namespace {

const AUGRUCellOptions& checked(const AUGRUCellOptions& o) {
  ATTEND_CHECK(o.input_size >= 0 && o.hidden_size > 0,
               "AUGRUCell: input_size must be >= 0 and hidden_size > 0 (got {} and {})", o.input_size, o.hidden_size);
  return o;
}

}  // namespace

AUGRUCell::AUGRUCell(const AUGRUCellOptions& options) : options_(checked(options)) {
  const detail::CellParameters p = detail::register_cell_parameters(
      *this, CellKind::augru, options_.input_size, options_.hidden_size, options_.bias, options_.seed);
  weight_ih_ = p.weight_ih;
  weight_hh_ = p.weight_hh;
  bias_ih_ = p.bias_ih;
  bias_hh_ = p.bias_hh;
}

Var AUGRUCell::forward(const Var& x, const Var& h, const Var& attention) const {
  return detail::cell_forward("AUGRUCell", CellKind::augru, {weight_ih_, weight_hh_, bias_ih_, bias_hh_}, x,
                              {h, Var()}, attention)
      .h;
}

}  // namespace attend::nn
