// AUGRUCell: the GRU with an attentional update gate (Zhou et al. 2019, "Deep Interest Evolution Network for
// Click-Through Rate Prediction", DIEN): the update gate is scaled by an attention score a per item, so a step the
// attention ignores (a = 0) leaves the state unchanged and a = 1 is the plain GRU step.
//
//   r, z, n as GRUCell (gru_cell.hpp);  u = a⊙(1 − z);  h' = (1 − u)⊙h + u⊙n
// Shapes: x [B, I] (or unbatched [I]), h [B, H] (or [H]), attention [B] (or [B, 1]; [] unbatched) -> h' [B, H].
// Parameters as GRUCell (PyTorch has no AUGRU; the names and layout are GRUCell's, so its weights load as is).
// Usage:
//   AUGRUCell cell({.input_size = 8, .hidden_size = 16});
//   Var h;                                               // undefined: starts from zeros
//   for (int64_t t = 0; t < T; ++t) h = cell.forward(x[t], h, a[t]);   // x[t] [B, 8], a[t] [B] -> h [B, 16]
#pragma once

#include <cstdint>

#include "attend/nn/rnn/cell_module.hpp"

namespace attend::nn {

using AUGRUCellOptions = CellOptions;

class AUGRUCell : public CellModule {
 public:
  explicit AUGRUCell(const AUGRUCellOptions& options)
      : CellModule("AUGRUCell", CellKind::augru, options), options_(options) {}

  /// x [B, I] (or [I]), h [B, H] (or [H]; undefined: zeros), attention [B] (or [B, 1]; [] unbatched) -> h' of h's
  /// shape. Throws naming the argument and the shapes when x.shape[-1] != input_size or h or attention do not fit x.
  Var forward(const Var& x, const Var& h, const Var& attention) const { return step(x, {h, Var()}, attention).h; }
  Var operator()(const Var& x, const Var& h, const Var& attention) const { return forward(x, h, attention); }
  const AUGRUCellOptions& options() const { return options_; }

 private:
  AUGRUCellOptions options_;
};

}  // namespace attend::nn
