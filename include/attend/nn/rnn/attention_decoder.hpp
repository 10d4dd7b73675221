// AttentionDecoder: a recurrent decoder that reads an encoded source through attention, configured by options
// instead of a class per paper. It covers Bahdanau et al. (2015, "Neural Machine Translation by Jointly Learning to
// Align and Translate"), Luong et al. (2015, "Effective Approaches to Attention-based Neural Machine Translation",
// with input feeding) and the coverage of See et al. (2017, "Get To The Point", following Tu et al. 2016).
//
// One step t, with input x_t [B, E], memory m [B, Tk, Dk] (keys = values), state s_{t−1}:
//   bahdanau:  c_t, α_t = attend(s_{t−1}.h)          then  s_t = cell([x_t; c_t; h*_{t−1}], s_{t−1})
//   luong:     s_t = cell([x_t; h*_{t−1}], s_{t−1})   then  c_t, α_t = attend(s_t.h)
//   attend(q): α = softmax over unmasked keys of score(q, m) (any Scorer); c = Σ_i α_i m_i
//   h*_t = f(h_t, c_t):  concat        tanh(W_out [c; h])
//                        weighted_sum  W_h h + W_c c
//                        gate          g = σ(W_g [c; h]);  g ⊙ h + (1 − g) ⊙ (W_c c)
//   y_t = W_y h*_t + b_y                                     (logits; none when output_size = 0)
// The h*_{t−1} part of the cell input is there only with input_feeding (h*_{−1} = 0). With coverage (additive scorer
// only), cov_t = Σ_{s<t} α_s and the scorer's key projection becomes W_k m_i + w_cov · cov_t,i; the coverage loss of
// step t is Σ_i min(α_t,i, cov_t,i). Keys are prepared once per source (Scorer::prepare); source positions
// i ≥ src_lengths[b] are masked (AttentionMask::key_lengths).
//
// Parameters (state_dict names):
//   cell.weight_ih [G·H, E + Dk·(bahdanau) + H·(input_feeding)], cell.weight_hh [G·H, H], cell.bias_ih,
//   cell.bias_hh [G·H]                     torch.nn.RNNCell/LSTMCell/GRUCell's names and gate order (G = 1, 4, 3)
//   attn.*                                 the scorer's (additive: linear_query, linear_context, v; general: linear_in;
//                                          mlp: fc1, fc2; dot: none), queries of width H, keys of width Dk
//   linear_cover.weight [A, 1]             coverage only; A = the additive scorer's hidden width
//   linear_out.weight [H, Dk + H]          concat fusion
//   linear_h.weight [H, H], linear_c.weight [H, Dk]          weighted_sum fusion
//   linear_gate.weight [H, Dk + H], linear_c.weight [H, Dk]  gate fusion
//   linear_y.weight [V, H], linear_y.bias [V]                output layer (output_size V > 0)
//
// Shapes: input [B, Tt, E], memory [B, Tk, Dk], src_lengths i64 [B] (1 ≤ len ≤ Tk; undefined: all Tk) ->
// logits [B, Tt, V], outputs h* [B, Tt, H], attention [B, Tt, Tk], coverage_loss [B, Tt]; states h, c [B, H].
//
// Usage:
//   AttentionDecoder dec({.cell = CellKind::gru, .input_size = 32, .hidden_size = 64, .memory_size = 128,
//                         .output_size = 1000, .scorer = scorer_of(ScoreKind::additive)});
//   AttentionDecoderOutput out = dec.forward(tgt_embedded, memory, src_lengths, {h0});   // teacher forcing
//   auto mem = dec.prepare(memory, src_lengths);  auto s = dec.initial_state(mem, {h0});  // step by step:
//   AttentionDecoderStep st = dec.step(x_t, mem, s);  s = st.state;                        // st.logits [B, V]
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/nn/attention/mask.hpp"
#include "attend/nn/attention/scorer.hpp"
#include "attend/nn/linear.hpp"
#include "attend/nn/module.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"

namespace attend::nn {

/// Where attention sits relative to the cell.
enum class AttentionPlacement {
  bahdanau,  ///< attend from the previous state, feed the context into the cell input
  luong,     ///< run the cell, then attend from its output
};
/// How h*_t is made from the cell output h_t and the context c_t.
enum class AttentionFusion { concat, weighted_sum, gate };

const char* placement_name(AttentionPlacement placement);
const char* fusion_name(AttentionFusion fusion);
/// "bahdanau", "luong"; throws listing them.
AttentionPlacement parse_placement(const std::string& name);
/// "concat", "weighted_sum", "gate"; throws listing them.
AttentionFusion parse_fusion(const std::string& name);

/// ScorerOptions of `kind` with the other fields at their defaults (the decoder fills in the sizes).
inline ScorerOptions scorer_of(ScoreKind kind) {
  ScorerOptions s;
  s.kind = kind;
  return s;
}

struct AttentionDecoderOptions {
  CellKind cell = CellKind::gru;  ///< rnn_tanh, rnn_relu, lstm or gru
  int64_t input_size = 0;         ///< E, the width of the (embedded) decoder inputs (required, > 0)
  int64_t hidden_size = 0;        ///< H (required, > 0)
  int64_t memory_size = 0;        ///< Dk, the width of the memory; 0: hidden_size
  int64_t output_size = 0;        ///< V, the logits' width; 0: no output layer
  /// The scorer: its kind and kind-specific fields; dim_query and dim_key must be 0 (filled in: H and Dk) or equal them.
  ScorerOptions scorer = scorer_of(ScoreKind::additive);
  AttentionPlacement placement = AttentionPlacement::bahdanau;
  AttentionFusion fusion = AttentionFusion::concat;
  bool input_feeding = false;  ///< append h*_{t−1} to the cell input
  bool coverage = false;       ///< coverage vector fed to the additive scorer, and the coverage loss
  uint64_t seed = 0;
};

/// The source as the decoder reads it, prepared once per source (AttentionDecoder::prepare).
struct AttentionDecoderMemory {
  Var memory;          ///< [B, Tk, Dk], the values
  ScorerKeys keys;     ///< the scorer's prepared keys
  Tensor src_lengths;  ///< i64 [B], or undefined (every key is valid)
  AttentionMask mask;  ///< key_lengths(src_lengths), or empty
};

/// What carries over between steps.
struct AttentionDecoderState {
  RecurrentState cell;  ///< h [B, H], and c [B, H] for LSTM
  Var feed;             ///< h*_{t−1} [B, H] (input_feeding only)
  Var coverage;         ///< Σ of past attention weights [B, Tk] (coverage only)
};

struct AttentionDecoderStep {
  Var logits;         ///< [B, V] (undefined when output_size = 0)
  Var output;         ///< h*_t [B, H]
  Var attention;      ///< α_t [B, Tk]
  Var coverage_loss;  ///< Σ_i min(α_t,i, cov_t,i) [B] (coverage only)
  AttentionDecoderState state;
};

struct AttentionDecoderOutput {
  Var logits;         ///< [B, Tt, V] (undefined when output_size = 0)
  Var outputs;        ///< h* [B, Tt, H]
  Var attention;      ///< [B, Tt, Tk]
  Var coverage_loss;  ///< [B, Tt] per step (coverage only); mask padded target steps before summing
  AttentionDecoderState state;  ///< after the last step
};

class AttentionDecoder : public Module {
 public:
  /// Throws naming the option when a size is not positive, the cell is augru, the scorer's sizes disagree with H and
  /// Dk, or coverage is asked for with a scorer other than additive.
  explicit AttentionDecoder(const AttentionDecoderOptions& options);

  /// memory [B, Tk, Dk], src_lengths i64 [B] (or undefined) -> the prepared source. Throws naming the argument and
  /// shapes when memory is not [B, Tk, Dk] or a length is outside [1, Tk].
  AttentionDecoderMemory prepare(const Var& memory, const Tensor& src_lengths = Tensor()) const;
  /// The state before the first step: `initial` h [B, H] (and c [B, H] for LSTM), zeros where undefined; zero
  /// input feed and coverage. Throws naming the argument and shapes when a state does not fit.
  AttentionDecoderState initial_state(const AttentionDecoderMemory& memory, const RecurrentState& initial = {}) const;
  /// One step: input x_t [B, E]. Throws naming the argument and shapes when x_t or the state does not fit.
  AttentionDecoderStep step(const Var& input, const AttentionDecoderMemory& memory,
                            const AttentionDecoderState& state) const;
  /// Teacher forcing over the whole target: input [B, Tt, E]. The same numbers as Tt calls of step().
  AttentionDecoderOutput forward(const Var& input, const AttentionDecoderMemory& memory,
                                 const AttentionDecoderState& state) const;
  /// prepare + initial_state + forward.
  AttentionDecoderOutput forward(const Var& input, const Var& memory, const Tensor& src_lengths = Tensor(),
                                 const RecurrentState& initial = {}) const;

  /// Batch entries picked by `indices` (i64 [N], repeats allowed) from every tensor of the memory / the state, for
  /// beam search (expand each source to K hypotheses, then follow the surviving ones).
  static AttentionDecoderMemory reorder(const AttentionDecoderMemory& memory, const Tensor& indices);
  static AttentionDecoderState reorder(const AttentionDecoderState& state, const Tensor& indices);

  const AttentionDecoderOptions& options() const { return options_; }
  const Scorer& scorer() const { return *scorer_; }

 private:
  struct Context {
    Var context;        // [B, Dk]
    Var weights;        // [B, Tk]
    Var coverage_loss;  // [B] or undefined
  };
  Context attend(const Var& query, const AttentionDecoderMemory& memory, const Var& coverage) const;
  Var fuse(const Var& h, const Var& context) const;  // [..., H], [..., Dk] -> h* [..., H]
  struct Advanced {
    RecurrentState cell;  // the cell's new state
    Context attended;     // the attention of this step
  };
  // The columns of weight_ih for the context [G·H, Dk] and for h*_{t−1} [G·H, H] (undefined when not used): made
  // once per forward, so that the engine sums their per-step weight gradients in one GEMM (autograd/node.hpp).
  struct InputWeights {
    Var context, feed;
  };
  InputWeights input_weights() const;
  // The recurrent part of one step: attention (before the cell for bahdanau, after it for luong) and the cell.
  Advanced advance(const Var& gx_input, const InputWeights& w, const AttentionDecoderMemory& memory,
                   const AttentionDecoderState& state) const;
  // One step given the input part of the cell's input projection, x_t W_xᵀ + b_ih [B, G·H]. Without `with_logits`
  // the output layer is left to the caller (forward projects all steps in one GEMM).
  AttentionDecoderStep step_projected(const Var& gx_input, const InputWeights& w, const AttentionDecoderMemory& memory,
                                      const AttentionDecoderState& state, bool with_logits = true) const;
  void check_state(const AttentionDecoderState& state, int64_t batch, int64_t keys) const;

  AttentionDecoderOptions options_;
  std::shared_ptr<Module> cell_;  // cell.{weight_ih, weight_hh, bias_ih, bias_hh}
  Var weight_ih_, weight_hh_, bias_ih_, bias_hh_;
  std::shared_ptr<Scorer> scorer_;
  std::shared_ptr<Linear> linear_cover_;  // coverage only: [A, 1]
  std::shared_ptr<Linear> linear_out_, linear_h_, linear_c_, linear_gate_, linear_y_;
};

}  // namespace attend::nn
