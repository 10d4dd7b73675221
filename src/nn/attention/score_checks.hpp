// Private: the argument checks every scorer shares, so their messages read alike.
#pragma once

#include <cstdint>

#include "attend/nn/attention/scorer.hpp"

namespace attend::nn::detail {

/// keys [B, Tk, dim_key]; throws naming `op` and the shape.
void check_keys(const char* op, const Var& keys, int64_t dim_key);
/// query [B, Tq, dim_query] and keys.keys [B, Tk, dim_key]; throws naming `op`, the argument and both shapes.
void check_score_inputs(const char* op, const Var& query, const ScorerKeys& keys, int64_t dim_query, int64_t dim_key);
/// keys.projected [B, Tk, width] for the keys it was prepared from; throws naming `op` and both shapes.
void check_projected(const char* op, const ScorerKeys& keys, int64_t width);
/// Throws "<op>: <option> must be positive, got <value>" when value ≤ 0.
void check_positive(const char* op, const char* option, int64_t value);

}  // namespace attend::nn::detail
